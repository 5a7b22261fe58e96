package dev.portcullis.gateway.console;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpRequest;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * A console request with a body (a form post, a script's JSON) being read: the proxy hands it the
 * body's chunks and, at the end, the console's answer comes back. Bounded: a policy document is
 * small, and nothing else the console takes is bigger.
 */
public final class FormPost {
    public static final int MAX_BODY_BYTES = 256 * 1024;

    private final Console console;
    private final HttpRequest head;
    private final String baseDomain;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();

    FormPost(Console console, HttpRequest head, String baseDomain) {
        this.console = requireNonNull(console, "console");
        this.head = requireNonNull(head, "head");
        this.baseDomain = requireNonNull(baseDomain, "baseDomain");
    }

    /** Adds a chunk; false when the body grew past {@link #MAX_BODY_BYTES} (then it is refused). */
    public boolean append(ByteBuf chunk) {
        if (body.size() + chunk.readableBytes() > MAX_BODY_BYTES) {
            return false;
        }
        byte[] bytes = new byte[chunk.readableBytes()];
        chunk.getBytes(chunk.readerIndex(), bytes);
        body.writeBytes(bytes);
        return true;
    }

    /** The console's answer to the whole request. */
    public CompletableFuture<FullHttpResponse> complete() {
        return console.handle(head, body.toString(StandardCharsets.UTF_8), baseDomain);
    }
}
