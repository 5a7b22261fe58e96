package dev.portcullis.gateway.server;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the gateway built from its config and must close, in the order it was built; closed in
 * reverse, so a part is closed only after everything built on it. One failing close is logged and
 * does not keep the rest open.
 */
final class ServerResources {
    private static final Logger log = LoggerFactory.getLogger(ServerResources.class);

    private record Named(String name, AutoCloseable resource) {}

    private final List<Named> built = new ArrayList<>();

    /** Registers {@code resource}, built just now, and returns it. */
    <T extends AutoCloseable> T add(String name, T resource) {
        built.add(new Named(requireNonNull(name, "name"), requireNonNull(resource, name)));
        return resource;
    }

    /** Closes everything registered, newest first; safe to call more than once. */
    void closeAll() {
        for (int i = built.size() - 1; i >= 0; i--) {
            Named named = built.remove(i);
            try {
                named.resource().close();
            } catch (Exception e) {
                log.warn("closing the {} failed", named.name(), e);
            }
        }
    }

    /**
     * A change that may end access somewhere (a route gone, a share narrowed), raised by the route
     * sources, which must exist before the grants registry that acts on it (the registry reads
     * routes through them). The registry subscribes once it is built; before that, no access was
     * granted, so nothing needs ending.
     */
    static final class Signal implements Runnable {
        private final List<Runnable> subscribers = new CopyOnWriteArrayList<>();

        void then(Runnable subscriber) {
            subscribers.add(requireNonNull(subscriber, "subscriber"));
        }

        @Override
        public void run() {
            subscribers.forEach(Runnable::run);
        }
    }
}
