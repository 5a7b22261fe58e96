package dev.portcullis.store.record;

/** A valid value of one of the three record kinds, and the key it lives under. */
public sealed interface StoreRecord permits RouteRecord, ShareRecord, PolicyRecord {
    String key();
}
