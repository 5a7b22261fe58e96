package dev.portcullis.store;

import static java.util.Objects.requireNonNull;

import dev.portcullis.store.embedded.EmbeddedStore;
import dev.portcullis.store.etcd.EtcdStore;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Which store a process uses, as its config file says: an embedded store in a file, or etcd
 * endpoints. Exactly one of the two. Shared by the agent's and the gateway's config readers.
 *
 * @param leaseTtl how long a host's routes outlive its agent when it dies without a clean shutdown
 * @param timeout how long one call to etcd may take
 */
public record StoreSettings(Optional<Path> embeddedFile, List<String> etcdEndpoints, Duration leaseTtl, Duration timeout) {

    public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(10);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    public StoreSettings {
        requireNonNull(embeddedFile, "embeddedFile");
        etcdEndpoints = List.copyOf(requireNonNull(etcdEndpoints, "etcdEndpoints"));
        requireNonNull(leaseTtl, "leaseTtl");
        requireNonNull(timeout, "timeout");
        if (embeddedFile.isPresent() == !etcdEndpoints.isEmpty()) {
            throw new IllegalArgumentException("store: " + (embeddedFile.isPresent() ? "both embedded and etcd" : "neither embedded nor etcd")
                    + " (expected: exactly one: embedded: /path/to/store.json, or etcd: {endpoints: [...]})");
        }
        embeddedFile.ifPresent(file -> {
            if (!file.isAbsolute()) {
                throw new IllegalArgumentException("store.embedded: '" + file + "' (expected: an absolute path)");
            }
        });
        for (String endpoint : etcdEndpoints) {
            checkEndpoint(endpoint);
        }
        if (leaseTtl.compareTo(Duration.ofSeconds(2)) < 0 || leaseTtl.compareTo(Duration.ofHours(1)) > 0) {
            throw new IllegalArgumentException("store.leaseTtlSeconds: " + leaseTtl.toSeconds() + " (expected: 2-3600)");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("store.etcd.timeoutMillis: " + timeout.toMillis() + " (expected: > 0)");
        }
    }

    public static StoreSettings embedded(Path file) {
        return new StoreSettings(Optional.of(file), List.of(), DEFAULT_LEASE_TTL, DEFAULT_TIMEOUT);
    }

    public static StoreSettings etcd(List<String> endpoints) {
        return new StoreSettings(Optional.empty(), endpoints, DEFAULT_LEASE_TTL, DEFAULT_TIMEOUT);
    }

    public StoreSettings withLeaseTtl(Duration ttl) {
        return new StoreSettings(embeddedFile, etcdEndpoints, ttl, timeout);
    }

    public StoreSettings withTimeout(Duration newTimeout) {
        return new StoreSettings(embeddedFile, etcdEndpoints, leaseTtl, newTimeout);
    }

    private static void checkEndpoint(String endpoint) {
        String expected = " (expected: an etcd client URL such as http://10.0.0.1:2379)";
        URI uri;
        try {
            uri = URI.create(requireNonNull(endpoint, "endpoint"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("store.etcd.endpoints: '" + endpoint + "'" + expected, e);
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
            || uri.getPort() < 1 || !(uri.getPath() == null || uri.getPath().isEmpty())) {
            throw new IllegalArgumentException("store.etcd.endpoints: '" + endpoint + "'" + expected);
        }
    }

    /** Opens the store these settings name. The caller closes it. */
    public KeyValueStore open() {
        return embeddedFile.<KeyValueStore>map(EmbeddedStore::open)
                .orElseGet(() -> EtcdStore.connect(etcdEndpoints, timeout));
    }

    @Override
    public String toString() {
        return embeddedFile.map(f -> "embedded store " + f).orElse("etcd " + String.join(",", etcdEndpoints));
    }
}
