package dev.portcullis.policy.parse;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** The errors found in one file so far; parsing goes on after each so that all are reported at once. */
final class Problems {

    private final String file;
    private final List<PolicyError> errors = new ArrayList<>();

    Problems(String file) {
        this.file = file;
    }

    void add(int line, int column, String field, String message) {
        errors.add(new PolicyError(file, line, column, field, message));
    }

    void add(Node at, String field, String message) {
        add(at.line(), at.column(), field, message);
    }

    int count() {
        return errors.size();
    }

    boolean isEmpty() {
        return errors.isEmpty();
    }

    /** In file order, so that the list reads top to bottom like the file. */
    List<PolicyError> sorted() {
        final List<PolicyError> copy = new ArrayList<>(errors);
        copy.sort(Comparator.comparingInt(PolicyError::line).thenComparingInt(PolicyError::column));
        return copy;
    }
}
