package dev.portcullis.agent.api;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A one-request-per-connection HTTP/1.1 client over the agent's unix socket, with the JDK only:
 * the request says Connection: close, so the response ends where the stream ends.
 */
public final class AgentClient {

    /** Status and body of one answer. */
    public record Reply(int status, String body) {
        public boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    private final Path socket;

    public AgentClient(Path socket) {
        this.socket = requireNonNull(socket, "socket");
    }

    public Reply send(String method, String path, String jsonBody) throws IOException {
        if (!path.matches("/[A-Za-z0-9._~%/-]*")) {
            throw new IllegalArgumentException("path: '" + path + "' (expected: an encoded path, see pathSegment)");
        }
        byte[] body = jsonBody == null ? new byte[0] : jsonBody.getBytes(StandardCharsets.UTF_8);
        String head = method + " " + path + " HTTP/1.1\r\n"
                + "Host: portcullis-agent\r\n"
                + "Connection: close\r\n"
                + (jsonBody == null ? "" : "Content-Type: application/json\r\n")
                + "Content-Length: " + body.length + "\r\n\r\n";
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            try {
                channel.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                throw new IOException("cannot reach the agent at " + socket + " (is `portcullis agent run` running?): "
                        + e.getMessage(), e);
            }
            write(channel, head.getBytes(StandardCharsets.US_ASCII));
            write(channel, body);
            ByteArrayOutputStream response = new ByteArrayOutputStream();
            ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);
            while (channel.read(buffer) >= 0) {
                buffer.flip();
                response.write(buffer.array(), 0, buffer.limit());
                buffer.clear();
            }
            return parse(response.toString(StandardCharsets.UTF_8));
        }
    }

    /**
     * Percent-encodes one path segment: everything but RFC 3986's unreserved characters, byte by byte
     * in UTF-8. Hand-written because the JDK has no path-segment encoder (URLEncoder is for forms and
     * turns ' ' into '+'; URI leaves '/' alone). Ids are validated first; this is the second wall.
     */
    public static String pathSegment(String value) {
        StringBuilder encoded = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "-._~".indexOf(c) >= 0) {
                encoded.append(c);
            } else {
                encoded.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return encoded.toString();
    }

    private static void write(SocketChannel channel, byte[] bytes) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    private static Reply parse(String response) throws IOException {
        int headEnd = response.indexOf("\r\n\r\n");
        String[] statusLine = response.split("\r\n", 2)[0].split(" ", 3);
        if (headEnd < 0 || statusLine.length < 2 || !statusLine[0].startsWith("HTTP/1.")) {
            throw new IOException("the agent sent something that is not an HTTP response: "
                    + response.substring(0, Math.min(80, response.length())));
        }
        return new Reply(Integer.parseInt(statusLine[1]), response.substring(headEnd + 4));
    }
}
