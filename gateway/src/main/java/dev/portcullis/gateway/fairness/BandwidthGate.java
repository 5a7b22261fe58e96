package dev.portcullis.gateway.fairness;

import io.netty.channel.ChannelHandlerContext;

/**
 * Where one relay direction of one exchange (a request body, a response body, one side of a
 * tunnel) asks for its workspace's bandwidth. The relay charges what it read and, instead of
 * reading on at once, asks the gate to read: now when the flow's budget has bytes left, else when
 * the scheduler refilled it. Nothing is buffered: a throttled flow simply is not read, so TCP (or
 * HTTP/2 flow control) holds the sender.
 *
 * <p>Used on the flow's event loop only.
 */
public interface BandwidthGate {
    /** The gate when fairness is off: charges nothing, reads at once. */
    BandwidthGate UNLIMITED = new BandwidthGate() {
        @Override
        public void charge(long bytes) {
        }

        @Override
        public void read(ChannelHandlerContext ctx) {
            ctx.read();
        }

        @Override
        public void read(Runnable reader) {
            reader.run();
        }

        @Override
        public void close() {
        }
    };

    /** {@code bytes} were read for this flow and are being relayed. */
    void charge(long bytes);

    /** Requests the next read on {@code ctx}: now, or on its event loop once the budget allows. */
    void read(ChannelHandlerContext ctx);

    /**
     * Requests the next read by running {@code reader}: now, or once the budget allows — then
     * possibly on the scheduler's thread, so {@code reader} must hop to its event loop itself. For
     * a flow without a channel of its own (an HTTP/2 stream read at the connection).
     */
    void read(Runnable reader);

    /** The flow ended; its share goes to the workspace's other flows. */
    void close();
}
