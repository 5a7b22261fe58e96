package dev.portcullis.store;

import java.util.List;

/** The keys under a prefix and the store revision they were read at: watch from {@code revision + 1}. */
public record KeyRange(long revision, List<KeyValue> entries) {
    public KeyRange {
        entries = List.copyOf(entries);
    }
}
