package dev.portcullis.gateway.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Netty's request decoder with the request head checked byte for byte against RFC 9112 first.
 * Netty tolerates what a gateway must not: obs-fold (it joins the lines), runs of spaces in the
 * request line, a lowercase or unknown version. Each of these can make two HTTP parsers disagree
 * about a request, so the whole head is checked before Netty parses it, and a bad one becomes an
 * invalid request the proxy answers with 400; nothing after it on the connection is decoded.
 */
final class StrictRequestDecoder extends HttpRequestDecoder {
    private final int maxHeadLength;
    private final int maxHeaderFields;
    private boolean atHeadStart = true;
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
        if (atHeadStart) {
            HeadCheck check = checkHead(buffer);
            if (check == HeadCheck.INCOMPLETE) {
                return;
            }
            if (check.problem() != null) {
                String problem = check.problem();
                rejected = true;
                buffer.skipBytes(buffer.readableBytes());
                DefaultFullHttpRequest invalid = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/bad-request",
                        Unpooled.EMPTY_BUFFER);
                invalid.setDecoderResult(DecoderResult.failure(check == HeadCheck.TOO_MANY_FIELDS
                        ? new TooLongHttpHeaderException(problem) // answered 431, like a header block too large
                        : new IllegalArgumentException(problem)));
                out.add(invalid);
                return;
            }
        }
        int before = out.size();
        super.decode(ctx, buffer, out);
        for (int i = before; i < out.size(); i++) {
            Object decoded = out.get(i);
            if (decoded instanceof LastHttpContent) {
                atHeadStart = true;
            } else if (decoded instanceof HttpRequest || decoded instanceof HttpContent) {
                atHeadStart = false;
            }
        }
    }

    /** The verdict on the bytes at a head's start: incomplete, valid (no problem) or invalid. */
    private record HeadCheck(String problem) {
        static final HeadCheck INCOMPLETE = new HeadCheck("incomplete");
        static final HeadCheck VALID = new HeadCheck(null);
        static final HeadCheck TOO_MANY_FIELDS = new HeadCheck("more header fields than the gateway accepts");
    }

    /**
     * Checks the head at the reader index without consuming it. A head longer than the limits is
     * passed on as valid: Netty answers it with 414 or 431.
     */
    private HeadCheck checkHead(ByteBuf buffer) {
        int start = buffer.readerIndex();
        int end = buffer.writerIndex();
        // RFC 9112 §2.2: empty lines before a request line are ignored.
        while (start + 1 < end && buffer.getByte(start) == '\r' && buffer.getByte(start + 1) == '\n') {
            start += 2;
        }
        int limit = Math.min(end, start + maxHeadLength + 4);
        int lineStart = start;
        int fields = 0;
        boolean requestLine = true;
        for (int i = start; i < limit; i++) {
            byte b = buffer.getByte(i);
            if (b == '\n') {
                return new HeadCheck("bare LF in the request head");
            }
            if (b != '\r') {
                continue;
            }
            if (i + 1 >= end) {
                return HeadCheck.INCOMPLETE;
            }
            if (buffer.getByte(i + 1) != '\n') {
                return new HeadCheck("bare CR in the request head");
            }
            if (i == lineStart) {
                return HeadCheck.VALID; // CRLF CRLF: the whole head was checked
            }
            String problem = requestLine ? checkRequestLine(buffer, lineStart, i) : checkFieldLine(buffer, lineStart, i);
            if (problem != null) {
                return new HeadCheck(problem);
            }
            if (!requestLine && ++fields > maxHeaderFields) {
                return HeadCheck.TOO_MANY_FIELDS;
            }
            requestLine = false;
            lineStart = i + 2;
            i++;
        }
        return limit < start + maxHeadLength + 4 ? HeadCheck.INCOMPLETE : HeadCheck.VALID;
    }

    /** {@code method SP request-target SP HTTP-version}, with exactly one space between the parts. */
    private static String checkRequestLine(ByteBuf buffer, int from, int to) {
        int i = from;
        while (i < to && isTokenChar(buffer.getByte(i))) {
            i++;
        }
        if (i == from || i >= to || buffer.getByte(i) != ' ') {
            return "malformed request line: the method must be a token followed by one space";
        }
        int targetStart = ++i;
        while (i < to && buffer.getByte(i) > ' ' && buffer.getByte(i) < 0x7f) {
            i++;
        }
        if (i == targetStart || i >= to || buffer.getByte(i) != ' ') {
            return "malformed request line: the target must be visible characters followed by one space";
        }
        String version = buffer.toString(i + 1, to - i - 1, StandardCharsets.US_ASCII);
        if (!version.equals("HTTP/1.1") && !version.equals("HTTP/1.0")) {
            return "unsupported HTTP version (expected: HTTP/1.1 or HTTP/1.0)";
        }
        return null;
    }

    /** {@code field-name ":" OWS field-value OWS}; no obs-fold, no whitespace before the colon. */
    private static String checkFieldLine(ByteBuf buffer, int from, int to) {
        byte first = buffer.getByte(from);
        if (first == ' ' || first == '\t') {
            return "obsolete line folding in the header block";
        }
        int i = from;
        while (i < to && isTokenChar(buffer.getByte(i))) {
            i++;
        }
        if (i == from || i >= to || buffer.getByte(i) != ':') {
            return "malformed header field: the name must be a token followed directly by ':'";
        }
        for (i++; i < to; i++) {
            int c = buffer.getByte(i) & 0xff;
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
