package dev.portcullis.gateway.server;

import static dev.portcullis.gateway.testing.RawHttp2Frames.CONTINUATION;
import static dev.portcullis.gateway.testing.RawHttp2Frames.DATA;
import static dev.portcullis.gateway.testing.RawHttp2Frames.END_HEADERS;
import static dev.portcullis.gateway.testing.RawHttp2Frames.HEADERS;
import static dev.portcullis.gateway.testing.RawHttp2Frames.SETTINGS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.observe.GatewayMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import dev.portcullis.gateway.testing.RawHttp2Frames;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link Http2HeaderBlockDeadline} before the gateway's frame codec, fed bytes split at every
 * awkward place (one byte per read); {@link Http2SlowlorisTest} runs it over a real TLS socket.
 */
class Http2HeaderBlockDeadlineTest {
    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private static final byte[] BLOCK = RawHttp2Frames.getRequestBlock("8080-demo.ws.localhost");

    @Test
    void openHeaderBlockEndsTheConnectionWithGoAwayEnhanceYourCalmWhenTheDeadlinePasses() {
        EmbeddedChannel channel = channel();
        feedOneByteAtATime(channel, PREFACE, frame(SETTINGS, 0, 0, new byte[0]), frame(HEADERS, END_HEADERS, 1, BLOCK),
                frame(HEADERS, 0, 3, BLOCK));
        channel.advanceTimeBy(900, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(goAway(channel)).as("0.9 s into the block").isNull();
        assertThat(channel.isOpen()).isTrue();

        channel.advanceTimeBy(200, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();

        ByteBuf goAway = goAway(channel);
        assertThat(goAway).isNotNull();
        assertThat(goAway.getInt(9)).as("last stream id").isEqualTo(1);
        assertThat(goAway.getInt(13)).as("error code").isEqualTo((int) Http2Error.ENHANCE_YOUR_CALM.code());
        assertThat(goAway.toString(17, goAway.readableBytes() - 17, StandardCharsets.UTF_8))
                .isEqualTo("the header block of stream 3 was not finished within 1000 ms (timeouts.requestHead)");
        goAway.release();
        assertThat(channel.isOpen()).as("closed at once, though stream 1 is open").isFalse();
    }

    @Test
    void headerBlockEndedByContinuationStopsTheDeadline() {
        EmbeddedChannel channel = channel();
        feedOneByteAtATime(channel, PREFACE, frame(SETTINGS, 0, 0, new byte[0]),
                frame(HEADERS, 0, 3, Arrays.copyOfRange(BLOCK, 0, 2)),
                frame(CONTINUATION, 0, 3, Arrays.copyOfRange(BLOCK, 2, 5)),
                frame(CONTINUATION, END_HEADERS, 3, Arrays.copyOfRange(BLOCK, 5, BLOCK.length)));

        channel.advanceTimeBy(2, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();

        assertThat(goAway(channel)).isNull();
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void payloadBytesThatLookLikeAnOpenHeadersFrameAreSkipped() {
        EmbeddedChannel channel = channel();
        byte[] lookalike = frame(HEADERS, 0, 5, new byte[0]); // a HEADERS frame header, but inside a DATA payload
        feedOneByteAtATime(channel, PREFACE, frame(SETTINGS, 0, 0, new byte[0]), frame(HEADERS, END_HEADERS, 1, BLOCK),
                frame(DATA, 0, 1, lookalike));

        channel.advanceTimeBy(2, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();

        assertThat(goAway(channel)).isNull();
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void everyNewHeaderBlockGetsItsOwnDeadline() {
        EmbeddedChannel channel = channel();
        feedOneByteAtATime(channel, PREFACE, frame(SETTINGS, 0, 0, new byte[0]),
                frame(HEADERS, 0, 1, Arrays.copyOfRange(BLOCK, 0, 3)),
                frame(CONTINUATION, END_HEADERS, 1, Arrays.copyOfRange(BLOCK, 3, BLOCK.length)));
        channel.advanceTimeBy(900, TimeUnit.MILLISECONDS);
        feedOneByteAtATime(channel, frame(HEADERS, 0, 3, BLOCK));

        channel.advanceTimeBy(900, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThat(goAway(channel)).as("0.9 s into the second block").isNull();

        channel.advanceTimeBy(200, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        ByteBuf goAway = goAway(channel);
        assertThat(goAway).isNotNull();
        goAway.release();
    }

    private static EmbeddedChannel channel() {
        EmbeddedChannel channel = new EmbeddedChannel();
        Http2FrameCodec codec = ClientHttp2Codec.forServer().build();
        channel.pipeline()
                .addLast(new Http2HeaderBlockDeadline(codec, Duration.ofSeconds(1), new GatewayMetrics()))
                .addLast(codec);
        return channel;
    }

    /** Reads the frames the gateway wrote so far; returns the GOAWAY frame among them, or null. */
    private static ByteBuf goAway(EmbeddedChannel channel) {
        ByteBuf written = Unpooled.buffer();
        for (ByteBuf part = channel.readOutbound(); part != null; part = channel.readOutbound()) {
            written.writeBytes(part); // Netty writes a frame's header and its payload separately
            part.release();
        }
        try {
            while (written.readableBytes() >= 9) {
                int length = written.getUnsignedMedium(written.readerIndex());
                if (written.getByte(written.readerIndex() + 3) == 0x7) {
                    return written.readRetainedSlice(9 + length);
                }
                written.skipBytes(9 + length);
            }
            return null;
        } finally {
            written.release();
        }
    }

    private static void feedOneByteAtATime(EmbeddedChannel channel, byte[]... parts) {
        for (byte[] part : parts) {
            for (byte b : part) {
                channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
            }
        }
        for (Object decoded = channel.readInbound(); decoded != null; decoded = channel.readInbound()) {
            ReferenceCountUtil.release(decoded);
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
