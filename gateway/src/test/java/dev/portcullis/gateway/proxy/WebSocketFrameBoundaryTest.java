package dev.portcullis.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

/** Where the workspace's WebSocket frames end, however the bytes are split across reads. */
class WebSocketFrameBoundaryTest {

    /** An unmasked server frame with {@code payload} bytes of payload (7-bit, 16-bit or 64-bit length). */
    private static byte[] frame(int payload) {
        int header = payload < 126 ? 2 : payload <= 0xffff ? 4 : 10;
        ByteBuf out = Unpooled.buffer(header + payload);
        out.writeByte(0x82);
        if (payload < 126) {
            out.writeByte(payload);
        } else if (payload <= 0xffff) {
            out.writeByte(126).writeShort(payload);
        } else {
            out.writeByte(127).writeLong(payload);
        }
        out.writeZero(payload);
        byte[] bytes = new byte[out.readableBytes()];
        out.readBytes(bytes);
        return bytes;
    }

    private static void feed(WebSocketFrameBoundary boundary, byte[] bytes, int from, int to) {
        boundary.relayed(Unpooled.wrappedBuffer(bytes, from, to - from));
    }

    @Test
    void everyFrameLengthEncodingEndsWhereItSays() {
        for (int payload : new int[] {0, 5, 125, 126, 300, 65535, 70000}) {
            WebSocketFrameBoundary boundary = new WebSocketFrameBoundary();
            byte[] bytes = frame(payload);
            feed(boundary, bytes, 0, bytes.length - 1);
            assertThat(boundary.atBoundary()).as("one byte short of a %d-byte payload", payload).isFalse();
            feed(boundary, bytes, bytes.length - 1, bytes.length);
            assertThat(boundary.atBoundary()).as("a %d-byte payload complete", payload).isTrue();
        }
    }

    @Test
    void aHeaderSplitAcrossReadsIsFollowed() {
        WebSocketFrameBoundary boundary = new WebSocketFrameBoundary();
        byte[] bytes = frame(300);
        for (int i = 0; i < bytes.length; i++) {
            feed(boundary, bytes, i, i + 1);
            assertThat(boundary.atBoundary()).as("after byte %d", i).isEqualTo(i == bytes.length - 1);
        }
    }

    @Test
    void severalFramesInOneReadEndAtTheLast() {
        WebSocketFrameBoundary boundary = new WebSocketFrameBoundary();
        byte[] one = frame(3);
        byte[] two = frame(200);
        byte[] both = new byte[one.length + two.length + 1];
        System.arraycopy(one, 0, both, 0, one.length);
        System.arraycopy(two, 0, both, one.length, two.length);
        both[both.length - 1] = (byte) 0x81; // the first byte of a third frame

        feed(boundary, both, 0, both.length - 1);
        assertThat(boundary.atBoundary()).isTrue();
        feed(boundary, both, both.length - 1, both.length);
        assertThat(boundary.atBoundary()).isFalse();
    }
}
