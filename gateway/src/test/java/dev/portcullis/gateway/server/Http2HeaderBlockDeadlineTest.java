package dev.portcullis.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.observe.GatewayMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2Connection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The frame-header scan of {@link Http2HeaderBlockDeadline}, on bytes split at every awkward place. */
class Http2HeaderBlockDeadlineTest {
    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    @Test
    void openHeaderBlockClosesTheConnectionWithGoAwayWhenTheDeadlinePasses() {
        EmbeddedChannel channel = channel();
        feedOneByteAtATime(channel, PREFACE, frame(0x4, 0, 0, new byte[6]), frame(0x1, 0, 3, new byte[10]));

        channel.advanceTimeBy(2, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();

        ByteBuf written = channel.readOutbound();
        assertThat(written.getByte(3)).as("frame type").isEqualTo((byte) 0x7);
        assertThat(written.getInt(13)).as("error code").isEqualTo(0xb);
        written.release();
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void headerBlockEndedByContinuationStopsTheDeadline() {
        EmbeddedChannel channel = channel();
        feedOneByteAtATime(channel, PREFACE, frame(0x1, 0, 3, new byte[10]), frame(0x0, 0, 1, new byte[300]),
                frame(0x9, 0x4, 3, new byte[4]));

        channel.advanceTimeBy(2, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();

        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(channel.isOpen()).isTrue();
    }

    private static EmbeddedChannel channel() {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.pipeline().addLast(new Http2HeaderBlockDeadline(new DefaultHttp2Connection(true), Duration.ofSeconds(1),
                new GatewayMetrics()));
        return channel;
    }

    private static void feedOneByteAtATime(EmbeddedChannel channel, byte[]... parts) {
        for (byte[] part : parts) {
            for (byte b : part) {
                channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
                ByteBuf passed = channel.readInbound();
                passed.release();
            }
        }
    }

    private static byte[] frame(int type, int flags, int stream, byte[] payload) {
        ByteBuf frame = Unpooled.buffer();
        frame.writeMedium(payload.length).writeByte(type).writeByte(flags).writeInt(stream).writeBytes(payload);
        byte[] bytes = new byte[frame.readableBytes()];
        frame.readBytes(bytes);
        return bytes;
    }
}
