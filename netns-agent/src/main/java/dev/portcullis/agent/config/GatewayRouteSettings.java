package dev.portcullis.agent.config;

import static java.util.Objects.requireNonNull;

import dev.portcullis.config.InvalidKeyException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Routes published through a gateway's host API, for a machine whose gateway holds the store (the
 * embedded store is one process's file, so the agent cannot open it too). The config's
 * {@code routes.gateway} section.
 *
 * @param adminUrl  the gateway's admin listener, such as {@code http://127.0.0.1:9090}
 * @param tokenFile a bearer token carrying this host's {@code portcullis_host} claim; read again for
 *                  every call, so a token can be replaced without a restart
 * @param leaseTtl  how long this host's routes outlive the agent when it dies without a clean stop
 * @param timeout   how long one call to the gateway may take
 */
public record GatewayRouteSettings(URI adminUrl, Path tokenFile, Duration leaseTtl, Duration timeout) {

    public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(10);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    public GatewayRouteSettings {
        requireNonNull(adminUrl, "adminUrl");
        requireNonNull(tokenFile, "tokenFile");
        requireNonNull(leaseTtl, "leaseTtl");
        requireNonNull(timeout, "timeout");
        if (!("http".equals(adminUrl.getScheme()) || "https".equals(adminUrl.getScheme())) || adminUrl.getHost() == null
                || !(adminUrl.getRawPath() == null || adminUrl.getRawPath().isEmpty() || adminUrl.getRawPath().equals("/"))
                || adminUrl.getRawQuery() != null) {
            throw badUrl(adminUrl.toString());
        }
        if (!tokenFile.isAbsolute()) {
            throw new InvalidKeyException("routes.gateway.tokenFile", "'" + tokenFile + "' (expected: an absolute path)");
        }
        // The gateway grants 2-300 s: long enough to ride out a slow call, short enough that a dead host's routes go soon.
        if (leaseTtl.compareTo(Duration.ofSeconds(2)) < 0 || leaseTtl.compareTo(Duration.ofSeconds(300)) > 0) {
            throw new InvalidKeyException("routes.gateway.leaseTtlSeconds", leaseTtl.toSeconds() + " (expected: 2-300)");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new InvalidKeyException("routes.gateway.timeoutMillis", timeout.toMillis() + " (expected: > 0)");
        }
        String text = adminUrl.toString();
        adminUrl = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
    }

    /** The URL in {@code text}, or an error naming the key. */
    public static URI parseUrl(String text) {
        try {
            return new URI(requireNonNull(text, "text"));
        } catch (java.net.URISyntaxException e) {
            throw badUrl(text);
        }
    }

    private static IllegalArgumentException badUrl(String text) {
        return new InvalidKeyException("routes.gateway.url", "'" + text
                + "' (expected: the gateway's admin listener, such as http://127.0.0.1:9090)");
    }

    public static GatewayRouteSettings of(URI adminUrl, Path tokenFile) {
        return new GatewayRouteSettings(adminUrl, tokenFile, DEFAULT_LEASE_TTL, DEFAULT_TIMEOUT);
    }

    public GatewayRouteSettings withLeaseTtl(Duration ttl) {
        return new GatewayRouteSettings(adminUrl, tokenFile, ttl, timeout);
    }

    @Override
    public String toString() {
        return "gateway " + adminUrl;
    }
}
