package dev.portcullis.gateway.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.util.ByteProcessor;
import io.netty.util.concurrent.FastThreadLocal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Netty's request decoder with the request head checked byte for byte against RFC 9112 first.
 * Netty tolerates what a gateway must not: obs-fold (it joins the lines), runs of spaces in the
 * request line, a lowercase or unknown version. Each of these can make two HTTP parsers disagree
 * about a request, so the whole head is checked before Netty parses it, and a bad one becomes an
 * invalid request the proxy answers with 400; nothing after it on the connection is decoded. The
 * trailer section of a chunked body has the head's field grammar and Netty's leniency there too
 * (it joins a folded trailer line onto the one before), so it is checked the same way before Netty
 * reads it, and a bad one ends the body as an invalid last chunk.
 */
final class StrictRequestDecoder extends HttpRequestDecoder {
    // The bytes of the section being checked (see checkFields), one array per event loop.
    private static final FastThreadLocal<byte[]> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[2048];
        }
    };
    private final int maxHeadLength;
    private final int maxHeaderFields;
    private final SectionEnd sectionEnd = new SectionEnd();
    private boolean atHeadStart = true;
    private boolean atTrailers;
    private boolean rejected;

    StrictRequestDecoder(HttpDecoderConfig config, int maxHeaderFields) {
        super(config);
        this.maxHeadLength = config.getMaxInitialLineLength() + config.getMaxHeaderSize();
        this.maxHeaderFields = maxHeaderFields;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
        if (rejected) {
            buffer.skipBytes(buffer.readableBytes());
            return;
        }
        if (atHeadStart || atTrailers) {
            SectionCheck check = checkFields(buffer, atHeadStart);
            if (check == SectionCheck.INCOMPLETE) {
                return;
            }
            if (check.problem() != null) {
                rejected = true;
                buffer.skipBytes(buffer.readableBytes());
                out.add(atHeadStart ? invalidRequest(check) : invalidLastChunk(check.problem()));
                return;
            }
        }
        int readFrom = buffer.readerIndex();
        int before = out.size();
        super.decode(ctx, buffer, out);
        if (!atHeadStart && out.size() == before && isLastChunkLine(buffer, readFrom, buffer.readerIndex())) {
            // Netty read the last chunk's size line by itself (it returns after it): the trailer section is next.
            atTrailers = true;
        }
        for (int i = before; i < out.size(); i++) {
            Object decoded = out.get(i);
            if (decoded instanceof LastHttpContent) {
                atHeadStart = true;
                atTrailers = false;
            } else if (decoded instanceof HttpRequest || decoded instanceof HttpContent) {
                atHeadStart = false;
            }
        }
    }

    private static HttpRequest invalidRequest(SectionCheck check) {
        DefaultFullHttpRequest invalid = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/bad-request",
                Unpooled.EMPTY_BUFFER);
        invalid.setDecoderResult(DecoderResult.failure(check == SectionCheck.TOO_MANY_FIELDS
                ? new TooLongHttpHeaderException(check.problem()) // answered 431, like a header block too large
                : new IllegalArgumentException(check.problem())));
        return invalid;
    }

    /** What Netty itself emits for a malformed chunk: the proxy answers 400 and the workspace never sees the end. */
    private static LastHttpContent invalidLastChunk(String problem) {
        LastHttpContent invalid = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
        invalid.setDecoderResult(DecoderResult.failure(new IllegalArgumentException(problem)));
        return invalid;
    }

    /**
     * Whether {@code [from, to)} is a whole chunk-size line of size zero, as Netty reads one (it
     * skips leading whitespace and ends the size at the first byte that is not a hex digit).
     */
    private static boolean isLastChunkLine(ByteBuf buffer, int from, int to) {
        if (to - from < 3 || buffer.getByte(to - 2) != '\r' || buffer.getByte(to - 1) != '\n') {
            return false;
        }
        int i = from;
        while (i < to && (buffer.getByte(i) == ' ' || buffer.getByte(i) == '\t')) {
            i++;
        }
        int zeros = i;
        while (i < to && buffer.getByte(i) == '0') {
            i++;
        }
        return i > zeros && Character.digit(buffer.getByte(i), 16) < 0;
    }

    /** The verdict on the bytes at the start of a head or trailer section: incomplete, valid (no problem) or invalid. */
    private record SectionCheck(String problem) {
        static final SectionCheck INCOMPLETE = new SectionCheck("incomplete");
        static final SectionCheck VALID = new SectionCheck(null);
        static final SectionCheck TOO_MANY_FIELDS = new SectionCheck("more header fields than the gateway accepts");
    }

    /**
     * Checks the head, or the trailer section, at the reader index without consuming it. One longer
     * than the limits is passed on as valid: Netty answers it with 414 or 431 (or a failed chunk).
     */
    private SectionCheck checkFields(ByteBuf buffer, boolean head) {
        int start = buffer.readerIndex();
        int end = buffer.writerIndex();
        // RFC 9112 §2.2: empty lines before a request line are ignored.
        while (head && start + 1 < end && buffer.getByte(start) == '\r' && buffer.getByte(start + 1) == '\n') {
            start += 2;
        }
        int limit = Math.min(end, start + maxHeadLength + 4);
        // The section's bytes are copied once into an array of the event loop's: reading a pooled
        // buffer byte by byte checks its bounds and reference count on every byte (2% of the event
        // loop's time in a profile of the http1 benchmark, for a head with a bearer token); a copy is
        // one memcpy. Only up to the end of the section (CRLF CRLF) is copied, not a body behind it.
        sectionEnd.reset();
        int found = buffer.forEachByte(start, limit - start, sectionEnd);
        int length = (found < 0 ? limit : found + 1) - start;
        byte[] bytes = SCRATCH.get();
        if (bytes.length < length) {
            bytes = new byte[Math.max(length, bytes.length * 2)];
            SCRATCH.set(bytes);
        }
        buffer.getBytes(start, bytes, 0, length);
        return checkFields(bytes, length, head, limit < start + maxHeadLength + 4);
    }

    /** Stops at the LF of the first {@code CRLF CRLF}, or of a section that is just {@code CRLF} (no trailers). */
    private static final class SectionEnd implements ByteProcessor {
        private int seen; // how many bytes of CR LF CR LF end what was read so far

        void reset() {
            seen = 2; // as if after a CR LF: an empty line at the very start ends the section too
        }

        @Override
        public boolean process(byte value) {
            if (value == '\r') {
                seen = seen == 2 ? 3 : 1;
            } else if (value == '\n' && (seen == 1 || seen == 3)) {
                if (seen == 3) {
                    return false;
                }
                seen = 2;
            } else {
                seen = 0;
            }
            return true;
        }
    }

    /** The check itself, over the section's first {@code end} bytes; {@code mayContinue}: more may arrive after them. */
    private SectionCheck checkFields(byte[] bytes, int end, boolean head, boolean mayContinue) {
        String name = head ? "the request head" : "the trailer section";
        int lineStart = 0;
        int fields = 0;
        boolean requestLine = head;
        for (int i = 0; i < end; i++) {
            byte b = bytes[i];
            if (b == '\n') {
                return new SectionCheck("bare LF in " + name);
            }
            if (b != '\r') {
                continue;
            }
            if (i + 1 >= end) {
                return mayContinue ? SectionCheck.INCOMPLETE : SectionCheck.VALID;
            }
            if (bytes[i + 1] != '\n') {
                return new SectionCheck("bare CR in " + name);
            }
            if (i == lineStart) {
                return SectionCheck.VALID; // an empty line: the whole section was checked
            }
            String problem = requestLine ? checkRequestLine(bytes, lineStart, i) : checkFieldLine(bytes, lineStart, i);
            if (problem != null) {
                return new SectionCheck(problem);
            }
            if (!requestLine && ++fields > maxHeaderFields) {
                return head ? SectionCheck.TOO_MANY_FIELDS : new SectionCheck("more trailer fields than the gateway accepts");
            }
            requestLine = false;
            lineStart = i + 2;
            i++;
        }
        return mayContinue ? SectionCheck.INCOMPLETE : SectionCheck.VALID;
    }

    private static final byte[] HTTP_1_1 = "HTTP/1.1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HTTP_1_0 = "HTTP/1.0".getBytes(StandardCharsets.US_ASCII);

    /** {@code method SP request-target SP HTTP-version}, with exactly one space between the parts. */
    private static String checkRequestLine(byte[] bytes, int from, int to) {
        int i = from;
        while (i < to && isTokenChar(bytes[i])) {
            i++;
        }
        if (i == from || i >= to || bytes[i] != ' ') {
            return "malformed request line: the method must be a token followed by one space";
        }
        int targetStart = ++i;
        while (i < to && bytes[i] > ' ' && bytes[i] < 0x7f) {
            i++;
        }
        if (i == targetStart || i >= to || bytes[i] != ' ') {
            return "malformed request line: the target must be visible characters followed by one space";
        }
        if (!Arrays.equals(bytes, i + 1, to, HTTP_1_1, 0, HTTP_1_1.length)
                && !Arrays.equals(bytes, i + 1, to, HTTP_1_0, 0, HTTP_1_0.length)) {
            return "unsupported HTTP version (expected: HTTP/1.1 or HTTP/1.0)";
        }
        return null;
    }

    /** {@code field-name ":" OWS field-value OWS}; no obs-fold, no whitespace before the colon. */
    private static String checkFieldLine(byte[] bytes, int from, int to) {
        byte first = bytes[from];
        if (first == ' ' || first == '\t') {
            return "obsolete line folding";
        }
        int i = from;
        while (i < to && isTokenChar(bytes[i])) {
            i++;
        }
        if (i == from || i >= to || bytes[i] != ':') {
            return "malformed header field: the name must be a token followed directly by ':'";
        }
        for (i++; i < to; i++) {
            int c = bytes[i] & 0xff;
            if (c < 0x20 && c != '\t' || c == 0x7f) {
                return "control character in a header value";
            }
        }
        return null;
    }

    /** RFC 9110 tchar. */
    private static boolean isTokenChar(byte b) {
        return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
                || b == '!' || b == '#' || b == '$' || b == '%' || b == '&' || b == '\'' || b == '*' || b == '+'
                || b == '-' || b == '.' || b == '^' || b == '_' || b == '`' || b == '|' || b == '~';
    }
}
