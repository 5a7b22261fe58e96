package dev.portcullis.store;

import static java.util.Objects.requireNonNull;

/** One key as read from the store. {@code lease} is 0 when the key is not bound to a lease. */
public record KeyValue(String key, byte[] value, long modRevision, long lease) {
    public KeyValue {
        requireNonNull(key, "key");
        requireNonNull(value, "value");
    }
}
