package dev.portcullis.gateway.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * Sends exact bytes over TLS and reads everything the gateway answers until it closes: for requests
 * that no well-behaved HTTP client would send.
 */
public final class RawHttps {
    private RawHttps() {}

    /** A TLS connection to the gateway on loopback, with {@code serverName} as SNI. */
    public static SSLSocket open(SSLContext tls, int port, String serverName) throws IOException {
        SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", port);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setServerNames(List.of(new SNIHostName(serverName)));
        socket.setSSLParameters(parameters);
        socket.setSoTimeout(10_000);
        return socket;
    }

    /** The whole answer as text; the gateway is expected to close the connection after it. */
    public static String exchange(SSLContext tls, int port, String serverName, String request) throws IOException {
        try (SSLSocket socket = open(tls, port, serverName)) {
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            try {
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    answer.write(buffer, 0, n);
                }
            } catch (SocketTimeoutException e) {
                throw new IOException("the gateway did not close the connection; it answered: "
                        + answer.toString(StandardCharsets.ISO_8859_1), e);
            }
            return answer.toString(StandardCharsets.ISO_8859_1);
        }
    }
}
