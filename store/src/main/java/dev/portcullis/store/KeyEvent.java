package dev.portcullis.store;

import static java.util.Objects.requireNonNull;

/** One change seen by a watch. {@code value} is empty for a delete. */
public record KeyEvent(Type type, String key, byte[] value, long revision) {

    public enum Type { PUT, DELETE }

    public KeyEvent {
        requireNonNull(type, "type");
        requireNonNull(key, "key");
        requireNonNull(value, "value");
    }

    public static KeyEvent put(String key, byte[] value, long revision) {
        return new KeyEvent(Type.PUT, key, value, revision);
    }

    public static KeyEvent delete(String key, long revision) {
        return new KeyEvent(Type.DELETE, key, new byte[0], revision);
    }
}
