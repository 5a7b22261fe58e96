package dev.portcullis.policy.parse;

import static java.util.Objects.requireNonNull;

/**
 * One mistake in a policy or share file, with where it is.
 *
 * @param file the file name as given to the parser
 * @param line 1-based line of the offending key or value
 * @param column 1-based column of the offending key or value
 * @param field the path of the field, e.g. {@code sharing.portRules[1].maxLevel}; empty for the document
 * @param message what is wrong: the bad value and what was expected
 */
public record PolicyError(String file, int line, int column, String field, String message) {

    public PolicyError {
        requireNonNull(file, "file");
        requireNonNull(field, "field");
        requireNonNull(message, "message");
    }

    /** {@code FILE:LINE:COLUMN: field.path: message}, the shape compilers use, so editors can jump to it. */
    @Override
    public String toString() {
        return file + ':' + line + ':' + column + ": " + (field.isEmpty() ? "" : field + ": ") + message;
    }
}
