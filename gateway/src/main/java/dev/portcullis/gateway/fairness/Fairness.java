package dev.portcullis.gateway.fairness;

/** Hands out a {@link BandwidthGate} per relay flow; {@link #OFF} when no fairness is configured. */
public interface Fairness extends AutoCloseable {
    /** No sharing: every gate is {@link BandwidthGate#UNLIMITED}, nothing runs. */
    Fairness OFF = new Fairness() {
        @Override
        public BandwidthGate open(String workspaceId) {
            return BandwidthGate.UNLIMITED;
        }

        @Override
        public void close() {
        }
    };

    /** A gate for one new flow of {@code workspaceId}; close it when the flow ends. */
    BandwidthGate open(String workspaceId);

    @Override
    void close();
}
