package dev.portcullis.gateway.observe;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The last audit lines of this gateway, kept in memory for the console's audit page, and the
 * listeners that stream new ones (the page's server-sent events). Bounded: the oldest line goes when
 * a new one comes past {@link #CAPACITY}. The log itself ({@code portcullis.audit}) stays the record
 * to keep; this is the recent view of one gateway.
 */
public final class RecentAudit {
    public static final int CAPACITY = 2000;

    /**
     * One audit line with the fields the console filters and scopes on.
     *
     * @param kind      {@code decision}, {@code change}, {@code revoked} or {@code token-exchange}
     * @param workspace the workspace it is about, or null (a policy change)
     * @param org       the org whose policy changed, or null (the workspace's owner decides who sees it)
     * @param line      the line as the audit log writes it
     */
    public record Entry(long sequence, Instant at, String kind, String workspace, String org, String line) {
        public Entry {
            requireNonNull(at, "at");
            requireNonNull(kind, "kind");
            requireNonNull(line, "line");
        }
    }

    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    private final List<Consumer<Entry>> listeners = new CopyOnWriteArrayList<>();
    private long sequence;

    void add(Instant at, String kind, String workspace, String org, String line) {
        Entry entry;
        synchronized (entries) {
            entry = new Entry(++sequence, at, kind, workspace, org, line);
            if (entries.size() == CAPACITY) {
                entries.removeFirst();
            }
            entries.addLast(entry);
        }
        for (Consumer<Entry> listener : listeners) {
            listener.accept(entry);
        }
    }

    /** The kept lines, oldest first. */
    public List<Entry> entries() {
        synchronized (entries) {
            return new ArrayList<>(entries);
        }
    }

    /** Calls {@code listener} with every new line (on the thread that wrote it) until the returned handle is run. */
    public Runnable listen(Consumer<Entry> listener) {
        requireNonNull(listener, "listener");
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** How many streams listen now. */
    public int listeners() {
        return listeners.size();
    }
}
