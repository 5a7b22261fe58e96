package dev.portcullis.config;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The problems of one config file as they are found, each at its key's line: a loader checks every
 * key, collecting what is wrong, and throws once with all of them.
 */
public final class ConfigProblems {
    private final String file;
    private final KeyIndex keys;
    private final List<ConfigProblem> found = new ArrayList<>();

    ConfigProblems(String file, KeyIndex keys) {
        this.file = requireNonNull(file, "file");
        this.keys = requireNonNull(keys, "keys");
    }

    /** A problem with {@code keyPath}, at its line (or its enclosing key's; line 1 when none is in the file). */
    public void add(String keyPath, String message) {
        add(keyPath, message, new KeyIndex.Location(1, 0));
    }

    /** A problem with {@code keyPath}, at its line if it is in the file, else at {@code otherwise}. */
    void add(String keyPath, String message, KeyIndex.Location otherwise) {
        KeyIndex.Location at = keys.exact(keyPath).or(() -> keys.locate(keyPath)).orElse(otherwise);
        found.add(new ConfigProblem(keyPath, message, at.line(), at.column()));
    }

    void add(ConfigProblem problem) {
        found.add(problem);
    }

    /**
     * A refusal from a check: at the key an {@link InvalidKeyException} names; another
     * {@link IllegalArgumentException} is about the file as a whole (line 1).
     */
    public void add(IllegalArgumentException e) {
        if (e instanceof InvalidKeyException invalid) {
            add(invalid.keyPath(), invalid.reason());
        } else {
            add("", e.getMessage());
        }
    }

    /**
     * Checks one key: runs {@code check} with its value, when the file sets it, and records what the
     * check refuses, at the key (or at the key the refusal names).
     */
    public <T> void apply(String keyPath, T value, Consumer<T> check) {
        if (value == null) {
            return;
        }
        try {
            check.accept(value);
        } catch (InvalidKeyException e) {
            add(e);
        } catch (IllegalArgumentException e) {
            add(keyPath, e.getMessage());
        }
    }

    /** Throws every problem found so far, if there is one. */
    public void throwIfAny() throws ConfigException {
        if (!found.isEmpty()) {
            throw exception(null);
        }
    }

    ConfigException exception(Throwable cause) {
        return new ConfigException(file, found, cause);
    }
}
