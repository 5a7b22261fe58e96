package dev.portcullis.gateway.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.portcullis.store.StoreSettings;
import dev.portcullis.store.etcd.EtcdTls;
import dev.portcullis.store.etcd.EtcdUser;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The {@code store} section of the gateway's config: the same keys as the agent's (without the
 * lease, which only route writers hold). Each value is checked where it is read, so a bad endpoint
 * or path is reported with its line; whether the whole section names exactly one store, and the
 * TLS and password files, are checked by {@link StoreSettings} (its errors start with the key,
 * which the config reader turns into a line).
 */
public final class StoreSection {
    /** The embedded store's file; absolute, as the agent's. */
    @JsonProperty("embedded")
    public AbsolutePath embedded;
    @JsonProperty("etcd")
    public EtcdSection etcd;

    /** {@code store.etcd}: the cluster's client URLs, how long one call may take, TLS and the user. */
    public static final class EtcdSection {
        @JsonProperty("endpoints")
        public List<EtcdEndpoint> endpoints;
        @JsonProperty("timeoutMillis")
        public TimeoutMillis timeoutMillis;
        @JsonProperty("tls")
        public TlsSection tls;
        @JsonProperty("auth")
        public AuthSection auth;
    }

    /** {@code store.etcd.tls}: the CA that signed etcd's certificates; this client's certificate, if etcd asks for one. */
    public static final class TlsSection {
        @JsonProperty("caFile")
        public AbsolutePath caFile;
        @JsonProperty("certificateChain")
        public AbsolutePath certificateChain;
        @JsonProperty("privateKey")
        public AbsolutePath privateKey;

        EtcdTls toTls() {
            return EtcdTls.fromConfig(pathOf(caFile), pathOf(certificateChain), pathOf(privateKey));
        }
    }

    /** {@code store.etcd.auth}: the etcd user, and the file that holds its password (never the password itself). */
    public static final class AuthSection {
        @JsonProperty("user")
        public String user;
        @JsonProperty("passwordFile")
        public AbsolutePath passwordFile;

        EtcdUser toUser() {
            return EtcdUser.fromConfig(user, pathOf(passwordFile));
        }
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
        return new StoreSettings(embedded == null ? Optional.empty() : Optional.of(embedded.path()), endpoints,
                StoreSettings.DEFAULT_LEASE_TTL, timeout,
                etcd == null || etcd.tls == null ? Optional.empty() : Optional.of(etcd.tls.toTls()),
                etcd == null || etcd.auth == null ? Optional.empty() : Optional.of(etcd.auth.toUser()));
    }

    private static Path pathOf(AbsolutePath file) {
        return file == null ? null : file.path();
    }

    /** A file named by its absolute path, as every path in the store section. */
    public record AbsolutePath(Path path) {
        @JsonCreator
        public static AbsolutePath parse(String text) {
            Path path = Path.of(text);
            if (!path.isAbsolute()) {
                throw new IllegalArgumentException("'" + text + "' (expected: an absolute path)");
            }
            return new AbsolutePath(path);
        }
    }

    /** One etcd client URL, checked as {@link StoreSettings} checks it. */
    public record EtcdEndpoint(String url) {
        @JsonCreator
        public static EtcdEndpoint parse(String text) {
            try {
                StoreSettings.checkEndpoint(text);
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
