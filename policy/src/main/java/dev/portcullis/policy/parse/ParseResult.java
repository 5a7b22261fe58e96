package dev.portcullis.policy.parse;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * Either a complete, validated value or every error found: never a half-read one, so a file that
 * failed validation cannot be applied by accident.
 */
public sealed interface ParseResult<T> {

    record Success<T>(T value) implements ParseResult<T> {
        public Success {
            requireNonNull(value, "value");
        }
    }

    record Failure<T>(List<PolicyError> errors) implements ParseResult<T> {
        public Failure {
            errors = List.copyOf(errors);
            if (errors.isEmpty()) {
                throw new IllegalArgumentException("errors: [] (expected: at least one error)");
            }
        }
    }

    default boolean isSuccess() {
        return this instanceof Success;
    }

    /** The errors, or an empty list on success. */
    default List<PolicyError> errors() {
        return this instanceof Failure<T> failure ? failure.errors : List.of();
    }

    /**
     * @throws IllegalStateException listing every error when parsing failed
     */
    default T orElseThrow() {
        if (this instanceof Success<T> success) {
            return success.value();
        }
        throw new IllegalStateException("invalid policy input:\n" + String.join("\n",
                errors().stream().map(PolicyError::toString).toList()));
    }
}
