package dev.portcullis.gateway.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** Reads one HTTP/1.1 message head from a socket, byte by byte, for hand-written test servers. */
public final class RawHeads {
    private RawHeads() {}

    /** The head up to and including the empty line; throws when the peer closes first. */
    public static String read(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed before a whole head");
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }
}
