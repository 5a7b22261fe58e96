package dev.portcullis.store;

import static java.util.Objects.requireNonNull;

import dev.portcullis.config.InvalidKeyException;
import dev.portcullis.store.embedded.EmbeddedStore;
import dev.portcullis.store.etcd.EtcdStore;
import dev.portcullis.store.etcd.EtcdTls;
import dev.portcullis.store.etcd.EtcdUser;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Which store a process uses, as its config file says: an embedded store in a file, or etcd
 * endpoints. Exactly one of the two. Shared by the agent's and the gateway's config readers.
 * The TLS files and the password file are read when the settings are made, so a config that names
 * a missing or unreadable one is refused at load, with the key, before anything starts.
 *
 * @param leaseTtl how long a host's routes outlive its agent when it dies without a clean shutdown
 * @param timeout how long one call to etcd may take
 * @param etcdTls TLS to etcd: required for {@code https://} endpoints, refused for {@code http://} ones
 * @param etcdUser the etcd user to sign in as, when etcd has auth enabled
 */
public record StoreSettings(Optional<Path> embeddedFile, List<String> etcdEndpoints, Duration leaseTtl, Duration timeout,
                            Optional<EtcdTls> etcdTls, Optional<EtcdUser> etcdUser) {

    public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(10);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    public StoreSettings {
        requireNonNull(embeddedFile, "embeddedFile");
        etcdEndpoints = List.copyOf(requireNonNull(etcdEndpoints, "etcdEndpoints"));
        requireNonNull(leaseTtl, "leaseTtl");
        requireNonNull(timeout, "timeout");
        requireNonNull(etcdTls, "etcdTls");
        requireNonNull(etcdUser, "etcdUser");
        if (embeddedFile.isPresent() == !etcdEndpoints.isEmpty()) {
            throw new InvalidKeyException("store", (embeddedFile.isPresent() ? "both embedded and etcd" : "neither embedded nor etcd")
                    + " (expected: exactly one: embedded: /path/to/store.json, or etcd: {endpoints: [...]})");
        }
        embeddedFile.ifPresent(file -> {
            if (!file.isAbsolute()) {
                throw new InvalidKeyException("store.embedded", "'" + file + "' (expected: an absolute path)");
            }
        });
        for (String endpoint : etcdEndpoints) {
            checkEndpoint(endpoint);
        }
        checkTlsMatchesEndpoints(etcdEndpoints, etcdTls);
        if (embeddedFile.isPresent() && etcdUser.isPresent()) {
            throw new InvalidKeyException("store.etcd.auth", "set for an embedded store (expected: only with etcd)");
        }
        etcdTls.ifPresent(EtcdTls::sslContext);
        etcdUser.ifPresent(EtcdUser::password);
        if (leaseTtl.compareTo(Duration.ofSeconds(2)) < 0 || leaseTtl.compareTo(Duration.ofHours(1)) > 0) {
            throw new InvalidKeyException("store.leaseTtlSeconds", leaseTtl.toSeconds() + " (expected: 2-3600)");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new InvalidKeyException("store.etcd.timeoutMillis", timeout.toMillis() + " (expected: > 0)");
        }
    }

    public static StoreSettings embedded(Path file) {
        return new StoreSettings(Optional.of(file), List.of(), DEFAULT_LEASE_TTL, DEFAULT_TIMEOUT, Optional.empty(),
                Optional.empty());
    }

    /** etcd over plain HTTP without auth. */
    public static StoreSettings etcd(List<String> endpoints) {
        return new StoreSettings(Optional.empty(), endpoints, DEFAULT_LEASE_TTL, DEFAULT_TIMEOUT, Optional.empty(),
                Optional.empty());
    }

    /** etcd over TLS ({@code https://} endpoints). */
    public static StoreSettings etcd(List<String> endpoints, EtcdTls tls) {
        return new StoreSettings(Optional.empty(), endpoints, DEFAULT_LEASE_TTL, DEFAULT_TIMEOUT, Optional.of(tls),
                Optional.empty());
    }

    public StoreSettings withLeaseTtl(Duration ttl) {
        return new StoreSettings(embeddedFile, etcdEndpoints, ttl, timeout, etcdTls, etcdUser);
    }

    public StoreSettings withTimeout(Duration newTimeout) {
        return new StoreSettings(embeddedFile, etcdEndpoints, leaseTtl, newTimeout, etcdTls, etcdUser);
    }

    public StoreSettings withUser(EtcdUser user) {
        return new StoreSettings(embeddedFile, etcdEndpoints, leaseTtl, timeout, etcdTls, Optional.of(user));
    }

    /** https endpoints need a CA to verify etcd with; http ones must not look protected when they are not. */
    private static void checkTlsMatchesEndpoints(List<String> endpoints, Optional<EtcdTls> tls) {
        long secure = endpoints.stream().filter(endpoint -> endpoint.startsWith("https:")).count();
        if (secure > 0 && secure < endpoints.size()) {
            throw new InvalidKeyException("store.etcd.endpoints", endpoints + " mixes http:// and https://"
                    + " (expected: the same scheme for every member)");
        }
        if (secure > 0 && tls.isEmpty()) {
            throw new InvalidKeyException("store.etcd.endpoints", "'" + endpoints.getFirst() + "' is https:// but"
                    + " store.etcd.tls.caFile is missing (expected: the CA that signed etcd's server certificates)");
        }
        if (secure == 0 && tls.isPresent()) {
            throw new InvalidKeyException("store.etcd.tls", "set, but the endpoints are "
                    + (endpoints.isEmpty() ? "missing" : "http://") + " (expected: https:// endpoints with TLS)");
        }
    }

    /** Checks one etcd client URL alone, as the config readers do where they read it. */
    public static void checkEndpoint(String endpoint) {
        String expected = " (expected: an etcd client URL such as http://10.0.0.1:2379)";
        URI uri;
        try {
            uri = URI.create(requireNonNull(endpoint, "endpoint"));
        } catch (IllegalArgumentException e) {
            throw new InvalidKeyException("store.etcd.endpoints", "'" + endpoint + "'" + expected, e);
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
            || uri.getPort() < 1 || !(uri.getPath() == null || uri.getPath().isEmpty())) {
            throw new InvalidKeyException("store.etcd.endpoints", "'" + endpoint + "'" + expected);
        }
    }

    /** Opens the store these settings name. The caller closes it. */
    public KeyValueStore open() {
        return embeddedFile.<KeyValueStore>map(EmbeddedStore::open)
                .orElseGet(() -> EtcdStore.connect(etcdEndpoints, timeout, etcdTls, etcdUser));
    }

    /** Says which store, and how the process signs in, never with a secret. */
    @Override
    public String toString() {
        if (embeddedFile.isPresent()) {
            return "embedded store " + embeddedFile.get();
        }
        StringBuilder text = new StringBuilder("etcd ").append(String.join(",", etcdEndpoints));
        etcdTls.ifPresent(tls -> text.append(tls.certificateChain().isPresent() ? " (TLS, client certificate" : " (TLS"));
        etcdUser.ifPresent(user -> text.append(etcdTls.isPresent() ? ", " : " (").append("user ").append(user.name()));
        if (etcdTls.isPresent() || etcdUser.isPresent()) {
            text.append(')');
        }
        return text.toString();
    }
}
