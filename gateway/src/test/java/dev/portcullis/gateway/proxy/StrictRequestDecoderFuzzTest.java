package dev.portcullis.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.portcullis.gateway.config.Limits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The strict HTTP/1.1 request decoder under arbitrary bytes, with the gateway's own limits. Every
 * message it accepts (decoded without failure, passing {@link RequestChecks}, with a Host) is
 * re-serialised as the gateway forwards it (origin-form target) with Netty's encoder and decoded
 * again: that must give exactly one message, the same head and the same body, so whatever the
 * gateway accepts has one meaning for the next parser too.
 */
class StrictRequestDecoderFuzzTest {
    private static final HttpDecoderConfig CONFIG = new HttpDecoderConfig()
            .setMaxInitialLineLength(8 * 1024).setMaxHeaderSize(16 * 1024).setMaxChunkSize(64 * 1024);

    /** One decoded request: its head, its body and trailers, and whether it ended. */
    private record Message(HttpRequest head, byte[] body, List<Map.Entry<String, String>> trailers, boolean complete) {}

    @FuzzTest(maxDuration = "15s")
    void acceptedMessagesReserialiseToOneUnambiguousMessage(byte[] input) {
        for (Message message : decode(Unpooled.wrappedBuffer(input))) {
            if (!message.complete() || RequestChecks.problemWith(message.head()) != null
                || !message.head().headers().contains(HttpHeaderNames.HOST)) {
                // The gateway answers 400 and closes (routing refuses a request without Host): nothing
                // after it is read.
                return;
            }
            List<Message> again = decode(reserialise(message));
            assertThat(again).as("re-decoding %s", message.head()).hasSize(1);
            Message copy = again.get(0);
            assertThat(copy.complete()).isTrue();
            assertThat(copy.head().method()).isEqualTo(message.head().method());
            assertThat(copy.head().uri()).isEqualTo(RequestChecks.originForm(message.head().uri()));
            assertThat(copy.head().protocolVersion()).isEqualTo(message.head().protocolVersion());
            assertThat(fields(copy.head().headers().entries())).isEqualTo(fields(message.head().headers().entries()));
            assertThat(copy.body()).isEqualTo(message.body());
            assertThat(fields(copy.trailers())).isEqualTo(fields(message.trailers()));
            assertThat(RequestChecks.problemWith(copy.head())).isNull();
        }
    }

    private static List<String> fields(List<Map.Entry<String, String>> entries) {
        return entries.stream().map(entry -> entry.getKey() + ": " + entry.getValue()).toList();
    }

    /** The messages decoded from {@code bytes}, up to and including the first one that failed. */
    private static List<Message> decode(ByteBuf bytes) {
        EmbeddedChannel channel = new EmbeddedChannel(new StrictRequestDecoder(CONFIG, Limits.DEFAULT_MAX_HEADER_FIELDS));
        List<Message> messages = new ArrayList<>();
        try {
            channel.writeInbound(bytes);
            channel.finish();
            HttpRequest head = null;
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            for (Object read = channel.readInbound(); read != null; read = channel.readInbound()) {
                try {
                    if (read instanceof HttpObject object && object.decoderResult().isFailure()) {
                        if (head != null || read instanceof HttpRequest) {
                            messages.add(new Message(head != null ? head : (HttpRequest) read, body.toByteArray(),
                                    List.of(), false));
                        }
                        return messages;
                    }
                    if (read instanceof HttpRequest request) {
                        head = copyOf(request);
                        body.reset();
                    }
                    if (read instanceof HttpContent content) {
                        byte[] chunk = new byte[content.content().readableBytes()];
                        content.content().getBytes(content.content().readerIndex(), chunk);
                        body.writeBytes(chunk);
                    }
                    if (read instanceof LastHttpContent last && head != null) {
                        messages.add(new Message(head, body.toByteArray(), List.copyOf(last.trailingHeaders().entries()),
                                true));
                        head = null;
                    }
                } finally {
                    ReferenceCountUtil.release(read);
                }
            }
            if (head != null) {
                messages.add(new Message(head, body.toByteArray(), List.of(), false));
            }
            return messages;
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    private static HttpRequest copyOf(HttpRequest request) {
        HttpRequest copy = new DefaultHttpRequest(request.protocolVersion(), request.method(), request.uri());
        copy.headers().set(request.headers());
        return copy;
    }

    /**
     * The message as the gateway forwards it: the target in origin-form (Netty's encoder would add a
     * '/' to an absolute-form target without a path, as a first long run found), head and body as read.
     */
    private static ByteBuf reserialise(Message message) {
        EmbeddedChannel encoder = new EmbeddedChannel(new HttpRequestEncoder());
        try {
            HttpRequest head = copyOf(message.head());
            head.setUri(RequestChecks.originForm(head.uri()));
            encoder.writeOutbound(head);
            LastHttpContent last = new DefaultLastHttpContent(Unpooled.wrappedBuffer(message.body()));
            message.trailers().forEach(trailer -> last.trailingHeaders().add(trailer.getKey(), trailer.getValue()));
            encoder.writeOutbound(last);
            ByteBuf all = Unpooled.buffer();
            for (ByteBuf part = encoder.readOutbound(); part != null; part = encoder.readOutbound()) {
                all.writeBytes(part);
                part.release();
            }
            return all;
        } finally {
            encoder.finishAndReleaseAll();
        }
    }
}
