package dev.portcullis.agent.config;

import dev.portcullis.config.InvalidKeyException;
import java.nio.file.Path;
import java.time.Duration;

/** The config's {@code routes:} section: {@code gateway:}, the gateway whose host API takes this host's routes. */
@SuppressWarnings("unused") // fields are filled in by Jackson
final class RoutesSection {
    public GatewaySection gateway;

    static final class GatewaySection {
        public String url;
        public String tokenFile;
        public Integer leaseTtlSeconds;
        public Integer timeoutMillis;
    }

    /**
     * The settings.
     *
     * @throws InvalidKeyException naming the key that is missing or refused
     */
    GatewayRouteSettings toSettings() {
        if (gateway == null) {
            throw new InvalidKeyException("routes", "empty (expected: gateway: {url: ..., tokenFile: ...})");
        }
        for (String[] required : new String[][] {{"url", gateway.url}, {"tokenFile", gateway.tokenFile}}) {
            if (required[1] == null) {
                throw new InvalidKeyException("routes.gateway." + required[0], "missing");
            }
        }
        return new GatewayRouteSettings(GatewayRouteSettings.parseUrl(gateway.url), Path.of(gateway.tokenFile),
                gateway.leaseTtlSeconds == null ? GatewayRouteSettings.DEFAULT_LEASE_TTL
                        : Duration.ofSeconds(gateway.leaseTtlSeconds),
                gateway.timeoutMillis == null ? GatewayRouteSettings.DEFAULT_TIMEOUT : Duration.ofMillis(gateway.timeoutMillis));
    }
}
