package dev.portcullis.devkit.workspace;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The demo workspace app over a raw keep-alive connection, as the gateway's upstream pool uses it. */
class DemoWorkspaceAppTest {
    private DemoWorkspaceApp app;
    private Socket socket;
    private BufferedReader in;
    private OutputStream out;

    @BeforeEach
    void start() throws Exception {
        app = DemoWorkspaceApp.start(ServerSockets.nio(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        socket = new Socket(InetAddress.getLoopbackAddress(), app.address().getPort());
        socket.setSoTimeout(5_000);
        in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
        out = socket.getOutputStream();
    }

    @AfterEach
    void stop() throws IOException {
        socket.close();
        app.close();
    }

    @Test
    void aRequestBodyTheAppAnswersWithoutReadingLeavesTheConnectionUsable() throws Exception {
        // A GET with a body to /echo is answered 404 from its head alone; the body arrives after that answer (as
        // through the gateway, which relays it as it comes) and must be drained, or the connection stops reading.
        send("GET /echo HTTP/1.1\r\nHost: demo\r\nContent-Length: 8\r\n\r\n");
        assertThat(readResponse()).startsWith("HTTP/1.1 404");
        send("rm -rf /");

        send("GET / HTTP/1.1\r\nHost: demo\r\n\r\n");

        assertThat(readResponse()).startsWith("HTTP/1.1 200");
        assertThat(app.receivedRequests()).isEqualTo(2);
    }

    @Test
    void echoesAPostBodyAndServesTheNextRequestOnTheSameConnection() throws Exception {
        send("POST /echo HTTP/1.1\r\nHost: demo\r\nContent-Length: 5\r\n\r\nhello");
        String echo = readResponse();
        assertThat(echo).startsWith("HTTP/1.1 200").endsWith("hello");

        send("GET /bytes?n=3 HTTP/1.1\r\nHost: demo\r\n\r\n");

        assertThat(readResponse()).startsWith("HTTP/1.1 200").contains("content-length: 3");
        assertThat(app.acceptedConnections()).isEqualTo(1);
    }

    private void send(String request) throws IOException {
        out.write(request.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** One response: its head, then a Content-Length body or a chunked one (chunks joined). */
    private String readResponse() throws IOException {
        StringBuilder head = new StringBuilder();
        long length = 0;
        boolean chunked = false;
        for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
            head.append(line).append('\n');
            String lower = line.toLowerCase(java.util.Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Long.parseLong(lower.substring("content-length:".length()).trim());
            }
            if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            }
        }
        StringBuilder body = new StringBuilder();
        if (chunked) {
            for (long size = Long.parseLong(in.readLine().trim(), 16); size > 0; size = Long.parseLong(in.readLine().trim(), 16)) {
                body.append(read(size));
                in.readLine();
            }
            in.readLine();
        } else {
            body.append(read(length));
        }
        return head.toString().toLowerCase(java.util.Locale.ROOT).replaceFirst("^http/1.1", "HTTP/1.1") + body;
    }

    private String read(long count) throws IOException {
        char[] chars = new char[(int) count];
        int done = 0;
        while (done < count) {
            int n = in.read(chars, done, (int) count - done);
            if (n < 0) {
                throw new IOException("the connection ended after " + done + " of " + count + " body bytes");
            }
            done += n;
        }
        return new String(chars);
    }
}
