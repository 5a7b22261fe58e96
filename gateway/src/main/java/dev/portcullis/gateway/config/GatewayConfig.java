package dev.portcullis.gateway.config;

import static java.util.Objects.requireNonNull;

import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.transport.Transport;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything a running gateway needs, validated and immutable. Built from a config file by
 * {@link GatewayConfigFile#load(Path)} or in code by the demo.
 *
 * @param listeners        the HTTPS addresses to bind
 * @param transport        the socket layer to run on
 * @param transportForced  whether the config named the transport (otherwise it was the best available)
 * @param baseDomains      the domains under which {@code <port>-<workspace>} names are served
 * @param tls              the certificate chain and key presented to clients
 * @param timeouts         how long to wait for what
 * @param eventLoopThreads event loop threads; 0 means one per core
 * @param routes           the workspace routes, until the route store replaces the static table
 */
public record GatewayConfig(
        List<InetSocketAddress> listeners,
        Transport transport,
        boolean transportForced,
        List<String> baseDomains,
        TlsFiles tls,
        Timeouts timeouts,
        int eventLoopThreads,
        RouteTable routes) {

    public GatewayConfig {
        listeners = List.copyOf(listeners);
        if (listeners.isEmpty()) {
            throw new IllegalArgumentException("listeners: empty (expected: at least one address to bind)");
        }
        requireNonNull(transport, "transport");
        baseDomains = List.copyOf(baseDomains);
        if (baseDomains.isEmpty()) {
            throw new IllegalArgumentException("baseDomains: empty (expected: at least one domain)");
        }
        requireNonNull(tls, "tls");
        requireNonNull(timeouts, "timeouts");
        if (eventLoopThreads < 0) {
            throw new IllegalArgumentException("eventLoopThreads: " + eventLoopThreads + " (expected: >= 0)");
        }
        requireNonNull(routes, "routes");
    }

    /** PEM files: the certificate chain (leaf first) and its private key (PKCS#8, PKCS#1 or SEC1). */
    public record TlsFiles(Path certificateChain, Path privateKey) {
        public TlsFiles {
            requireNonNull(certificateChain, "certificateChain");
            requireNonNull(privateKey, "privateKey");
        }
    }
}
