package dev.portcullis.agent.kernel.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Builds one netlink request: the 16-byte header, the family's fixed header (ifinfomsg, tcmsg …),
 * then attributes (type, length, value, padded to 4 bytes), which may nest. Numbers in native byte
 * order, as the kernel reads them; the few fields netlink keeps in network order are written with
 * {@link #bigEndianInt}.
 *
 * <p>Hand-written on purpose: no maintained Java netlink library exists (the old ones stopped years
 * ago and none speaks tc), and what the agent needs is small: build a message, read attributes.
 */
final class NetlinkMessage {

    static final int HEADER_LENGTH = 16;
    private static final int NLA_F_NESTED = 0x8000;

    private ByteBuffer buffer = ByteBuffer.allocate(256).order(ByteOrder.nativeOrder());

    NetlinkMessage(int type, int flags) {
        buffer.putInt(0).putShort((short) type).putShort((short) flags).putInt(0).putInt(0);
    }

    NetlinkMessage u8(int value) {
        room(1).put((byte) value);
        return this;
    }

    NetlinkMessage u16(int value) {
        room(2).putShort((short) value);
        return this;
    }

    NetlinkMessage u32(int value) {
        room(4).putInt(value);
        return this;
    }

    NetlinkMessage bigEndianInt(int value) {
        room(4).order(ByteOrder.BIG_ENDIAN).putInt(value).order(ByteOrder.nativeOrder());
        return this;
    }

    NetlinkMessage bigEndianShort(int value) {
        room(2).order(ByteOrder.BIG_ENDIAN).putShort((short) value).order(ByteOrder.nativeOrder());
        return this;
    }

    NetlinkMessage bytes(byte[] value) {
        room(value.length).put(value);
        return this;
    }

    NetlinkMessage attribute(int type, byte[] value) {
        align();
        room(4 + value.length).putShort((short) (4 + value.length)).putShort((short) type).put(value);
        align();
        return this;
    }

    NetlinkMessage attribute(int type, String value) {
        byte[] text = value.getBytes(StandardCharsets.UTF_8);
        return attribute(type, Arrays.copyOf(text, text.length + 1)); // NUL-terminated
    }

    NetlinkMessage attributeU32(int type, int value) {
        return attribute(type, ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array());
    }

    NetlinkMessage attributeU64(int type, long value) {
        return attribute(type, ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(value).array());
    }

    /** Opens a nested attribute; what is added until {@link #end} goes inside it. */
    int begin(int type) {
        align();
        int start = buffer.position();
        room(4).putShort((short) 0).putShort((short) (type | NLA_F_NESTED));
        return start;
    }

    /** Opens a nested attribute without the NESTED flag, for the old attributes that the kernel parses as plain bytes (tc options). */
    int beginPlain(int type) {
        align();
        int start = buffer.position();
        room(4).putShort((short) 0).putShort((short) type);
        return start;
    }

    NetlinkMessage end(int start) {
        align();
        buffer.putShort(start, (short) (buffer.position() - start));
        return this;
    }

    /** Flags beyond request/ack/dump, such as CREATE and EXCL; the socket adds those when it sends. */
    void extraFlags(int flags) {
        buffer.putShort(6, (short) flags);
    }

    int extraFlags() {
        return buffer.getShort(6) & 0xffff;
    }

    /** The finished message with its length and sequence number. */
    byte[] finish(int sequence) {
        align();
        buffer.putInt(0, buffer.position());
        buffer.putInt(8, sequence);
        return Arrays.copyOf(buffer.array(), buffer.position());
    }

    private void align() {
        int padding = (4 - buffer.position() % 4) % 4;
        room(padding);
        for (int i = 0; i < padding; i++) {
            buffer.put((byte) 0);
        }
    }

    private ByteBuffer room(int bytes) {
        if (buffer.remaining() < bytes) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(buffer.capacity() * 2, buffer.position() + bytes))
                    .order(ByteOrder.nativeOrder());
            bigger.put(buffer.array(), 0, buffer.position());
            buffer = bigger;
        }
        return buffer;
    }
}
