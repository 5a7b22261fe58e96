package dev.portcullis.store.replica;

/**
 * Told after each swap, on the replica's thread, in revision order. Must not block: a gateway
 * hands the narrowing changes to its event loops and returns.
 */
@FunctionalInterface
public interface ReplicaListener {
    void onUpdate(ReplicaUpdate update);
}
