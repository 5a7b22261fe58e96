package dev.portcullis.agent.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

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

    /** The settings, or an error naming the file, the line and the key. */
    GatewayRouteSettings toSettings(String fileName, Map<String, Integer> lines) throws ConfigException {
        if (gateway == null) {
            throw new ConfigException(AgentConfigLoader.where(fileName, lines.get("routes"))
                    + "routes: empty (expected: gateway: {url: ..., tokenFile: ...})", null);
        }
        for (String[] required : new String[][] {{"url", gateway.url}, {"tokenFile", gateway.tokenFile}}) {
            if (required[1] == null) {
                throw new ConfigException(AgentConfigLoader.where(fileName, lines.get("routes.gateway"))
                        + "routes.gateway." + required[0] + ": missing", null);
            }
        }
        try {
            return new GatewayRouteSettings(GatewayRouteSettings.parseUrl(gateway.url), Path.of(gateway.tokenFile),
                    gateway.leaseTtlSeconds == null ? GatewayRouteSettings.DEFAULT_LEASE_TTL
                            : Duration.ofSeconds(gateway.leaseTtlSeconds),
                    gateway.timeoutMillis == null ? GatewayRouteSettings.DEFAULT_TIMEOUT : Duration.ofMillis(gateway.timeoutMillis));
        } catch (IllegalArgumentException e) {
            // The message starts with the key path, e.g. "routes.gateway.url: ...".
            String key = e.getMessage().split(":", 2)[0];
            throw new ConfigException(AgentConfigLoader.where(fileName, lines.getOrDefault(key, lines.get("routes.gateway")))
                    + e.getMessage(), e);
        }
    }
}
