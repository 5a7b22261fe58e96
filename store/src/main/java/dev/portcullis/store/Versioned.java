package dev.portcullis.store;

import static java.util.Objects.requireNonNull;

/** A record and the revision it was last written at: pass the revision back to compare-and-swap. */
public record Versioned<T>(T value, long revision) {
    public Versioned {
        requireNonNull(value, "value");
    }
}
