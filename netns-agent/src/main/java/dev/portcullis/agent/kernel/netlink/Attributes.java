package dev.portcullis.agent.kernel.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** The attributes of one netlink message (or of one nested attribute), by type; the last of a type wins. */
final class Attributes {

    private static final int TYPE_MASK = 0x3fff; // without the NESTED and BYTE_ORDER flags

    private final Map<Integer, ByteBuffer> values = new HashMap<>();

    /** Reads the attributes in {@code buffer} from {@code offset} to {@code end}. */
    Attributes(ByteBuffer buffer, int offset, int end) {
        int at = offset;
        while (at + 4 <= end) {
            int length = buffer.getShort(at) & 0xffff;
            int type = buffer.getShort(at + 2) & TYPE_MASK;
            if (length < 4 || at + length > end) {
                break; // malformed: stop rather than read past the message
            }
            values.put(type, buffer.slice(at + 4, length - 4).order(ByteOrder.nativeOrder()));
            at += (length + 3) & ~3;
        }
    }

    boolean has(int type) {
        return values.containsKey(type);
    }

    Optional<ByteBuffer> bytes(int type) {
        return Optional.ofNullable(values.get(type)).map(ByteBuffer::duplicate).map(b -> b.order(ByteOrder.nativeOrder()));
    }

    Optional<String> string(int type) {
        return bytes(type).map(b -> {
            byte[] raw = new byte[b.remaining()];
            b.get(raw);
            int length = 0;
            while (length < raw.length && raw[length] != 0) {
                length++;
            }
            return new String(raw, 0, length, StandardCharsets.UTF_8);
        });
    }

    Optional<Integer> u32(int type) {
        return bytes(type).filter(b -> b.remaining() >= 4).map(b -> b.getInt(0));
    }

    Optional<Long> u64(int type) {
        return bytes(type).filter(b -> b.remaining() >= 8).map(b -> b.getLong(0));
    }

    Optional<Attributes> nested(int type) {
        return bytes(type).map(b -> new Attributes(b, 0, b.remaining()));
    }
}
