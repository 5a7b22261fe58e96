package dev.portcullis.loadtest;

import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;

/** Just enough HTTP/1.1 response parsing for the load generators: a 200 head with a Content-Length. */
final class HttpResponses {
    private static final int MAX_HEAD = 16 * 1024;

    private HttpResponses() {}

    /**
     * Reads a response head up to its blank line and returns its Content-Length. Anything but a
     * {@code 200} with a length is an {@link IOException}: the benchmark only counts complete answers.
     */
    static long readHeadForLength(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        long length = -1;
        boolean statusLine = true;
        int total = 0;
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("connection closed in the response head");
            }
            if (++total > MAX_HEAD) {
                throw new IOException("response head over " + MAX_HEAD + " bytes");
            }
            if (c != '\n') {
                if (c != '\r') {
                    line.append((char) c);
                }
                continue;
            }
            String text = line.toString();
            line.setLength(0);
            if (statusLine) {
                if (!text.startsWith("HTTP/1.1 200 ") && !text.equals("HTTP/1.1 200")) {
                    throw new IOException("status line: '" + text + "' (expected: HTTP/1.1 200)");
                }
                statusLine = false;
            } else if (text.isEmpty()) {
                if (length < 0) {
                    throw new IOException("response without Content-Length (expected: a fixed-length body)");
                }
                return length;
            } else {
                int colon = text.indexOf(':');
                if (colon > 0 && text.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("content-length")) {
                    length = Long.parseLong(text.substring(colon + 1).trim());
                }
            }
        }
    }
}
