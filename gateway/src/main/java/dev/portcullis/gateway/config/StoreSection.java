package dev.portcullis.gateway.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.portcullis.store.StoreSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The {@code store} section of the gateway's config: the same keys as the agent's (without the
 * lease, which only route writers hold). Each value is checked where it is read, so a bad endpoint
 * or path is reported with its line; whether the whole section names exactly one store is checked
 * by {@link StoreSettings}.
 */
public final class StoreSection {
    @JsonProperty("embedded")
    public EmbeddedFile embedded;
    @JsonProperty("etcd")
    public EtcdSection etcd;

    /** {@code store.etcd}: the cluster's client URLs and how long one call may take. */
    public static final class EtcdSection {
        @JsonProperty("endpoints")
        public List<EtcdEndpoint> endpoints;
        @JsonProperty("timeoutMillis")
        public TimeoutMillis timeoutMillis;
    }

    StoreSettings toSettings() {
        List<String> endpoints = etcd == null || etcd.endpoints == null ? List.of()
                : etcd.endpoints.stream().map(EtcdEndpoint::url).toList();
        if (etcd != null && endpoints.isEmpty()) {
            throw new IllegalArgumentException("store.etcd.endpoints: missing or empty (expected: the etcd client URLs,"
                    + " such as [http://10.0.0.1:2379])");
        }
        Duration timeout = etcd == null || etcd.timeoutMillis == null ? StoreSettings.DEFAULT_TIMEOUT
                : etcd.timeoutMillis.value();
        return new StoreSettings(embedded == null ? Optional.empty() : Optional.of(embedded.file()), endpoints,
                StoreSettings.DEFAULT_LEASE_TTL, timeout);
    }

    /** {@code store.embedded}: the store's file; absolute, as the agent's. */
    public record EmbeddedFile(Path file) {
        @JsonCreator
        public static EmbeddedFile parse(String text) {
            Path file = Path.of(text);
            if (!file.isAbsolute()) {
                throw new IllegalArgumentException("'" + text + "' (expected: an absolute path)");
            }
            return new EmbeddedFile(file);
        }
    }

    /** One etcd client URL, checked as {@link StoreSettings} checks it. */
    public record EtcdEndpoint(String url) {
        @JsonCreator
        public static EtcdEndpoint parse(String text) {
            try {
                StoreSettings.etcd(List.of(text));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'" + text + "' (expected: an etcd client URL such as http://10.0.0.1:2379)");
            }
            return new EtcdEndpoint(text);
        }
    }

    public record TimeoutMillis(Duration value) {
        @JsonCreator
        public static TimeoutMillis parse(int millis) {
            if (millis < 1 || millis > 600_000) {
                throw new IllegalArgumentException(millis + " (expected: 1-600000)");
            }
            return new TimeoutMillis(Duration.ofMillis(millis));
        }
    }
}
