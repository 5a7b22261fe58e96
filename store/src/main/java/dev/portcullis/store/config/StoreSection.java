package dev.portcullis.store.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.portcullis.config.InvalidKeyException;
import dev.portcullis.store.StoreSettings;
import dev.portcullis.store.etcd.EtcdTls;
import dev.portcullis.store.etcd.EtcdUser;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The {@code store} section of the gateway's and the agent's config files, bound in this one place.
 * Each value is checked where it is read, so a bad endpoint or path is reported at its line; whether
 * the whole section names exactly one store, and the TLS and password files, are checked by
 * {@link StoreSettings}, whose refusals name their key ({@link InvalidKeyException}). The gateway's
 * section has no lease (only route writers hold one): the agent's is {@link WithLease}.
 */
public class StoreSection {
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

        public EtcdTls toTls() {
            return EtcdTls.fromConfig(pathOf(caFile), pathOf(certificateChain), pathOf(privateKey));
        }
    }

    /** {@code store.etcd.auth}: the etcd user, and the file that holds its password (never the password itself). */
    public static final class AuthSection {
        @JsonProperty("user")
        public String user;
        @JsonProperty("passwordFile")
        public AbsolutePath passwordFile;

        public EtcdUser toUser() {
            return EtcdUser.fromConfig(user, pathOf(passwordFile));
        }
    }

    /** The agent's {@code store} section: the same keys and {@code leaseTtlSeconds}, how long its routes outlive it. */
    public static final class WithLease extends StoreSection {
        @JsonProperty("leaseTtlSeconds")
        public Integer leaseTtlSeconds;

        @Override
        public StoreSettings toSettings() {
            return settings(leaseTtlSeconds == null ? StoreSettings.DEFAULT_LEASE_TTL : Duration.ofSeconds(leaseTtlSeconds));
        }
    }

    /**
     * The settings this section names.
     *
     * @throws InvalidKeyException naming the key, when the section is incomplete or a file it names cannot be used
     */
    public StoreSettings toSettings() {
        return settings(StoreSettings.DEFAULT_LEASE_TTL);
    }

    final StoreSettings settings(Duration leaseTtl) {
        List<String> endpoints = etcd == null || etcd.endpoints == null ? List.of()
                : etcd.endpoints.stream().map(EtcdEndpoint::url).toList();
        if (etcd != null && endpoints.isEmpty()) {
            throw new InvalidKeyException("store.etcd.endpoints", "missing or empty (expected: the etcd client URLs,"
                    + " such as [http://10.0.0.1:2379])");
        }
        Duration timeout = etcd == null || etcd.timeoutMillis == null ? StoreSettings.DEFAULT_TIMEOUT
                : etcd.timeoutMillis.value();
        return new StoreSettings(embedded == null ? Optional.empty() : Optional.of(embedded.path()), endpoints,
                leaseTtl, timeout,
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
