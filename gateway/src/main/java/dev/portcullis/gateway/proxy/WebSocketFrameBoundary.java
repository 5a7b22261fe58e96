package dev.portcullis.gateway.proxy;

import io.netty.buffer.ByteBuf;

/**
 * Follows the frame structure (RFC 6455 §5.2) of the bytes a workspace sends down a WebSocket
 * tunnel, reading only the frame headers, so the gateway knows when it may put a frame of its own
 * between two of the workspace's (the close frame it sends when it ends a tunnel). A full WebSocket
 * codec would decode and re-encode every frame of every tunnel; this costs a few comparisons per read.
 */
final class WebSocketFrameBoundary {
    private final byte[] header = new byte[14];
    private int headerLength;
    private long remaining;

    /** Takes note of {@code bytes} (readable part; not consumed) as relayed to the client. */
    void relayed(ByteBuf bytes) {
        int index = bytes.readerIndex();
        int end = bytes.writerIndex();
        while (index < end) {
            if (remaining > 0) {
                long take = Math.min(remaining, end - index);
                remaining -= take;
                index += (int) take;
                continue;
            }
            header[headerLength++] = bytes.getByte(index++);
            int needed = headerNeeded();
            if (headerLength == needed) {
                remaining = payloadLength() + ((header[1] & 0x80) != 0 ? 4 : 0);
                headerLength = 0;
            }
        }
    }

    /** Whether the last byte relayed ended a frame: a frame of the gateway's may follow. */
    boolean atBoundary() {
        return remaining == 0 && headerLength == 0;
    }

    private int headerNeeded() {
        if (headerLength < 2) {
            return 2;
        }
        int length7 = header[1] & 0x7f;
        int extended = length7 == 126 ? 2 : length7 == 127 ? 8 : 0;
        return 2 + extended;
    }

    private long payloadLength() {
        int length7 = header[1] & 0x7f;
        if (length7 < 126) {
            return length7;
        }
        long length = 0;
        int bytes = length7 == 126 ? 2 : 8;
        for (int i = 0; i < bytes; i++) {
            length = length << 8 | header[2 + i] & 0xff;
        }
        return length & Long.MAX_VALUE;
    }
}
