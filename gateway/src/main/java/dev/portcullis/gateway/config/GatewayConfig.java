package dev.portcullis.gateway.config;

import static java.util.Objects.requireNonNull;

import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.transport.Transport;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
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
 * @param connectTimeout   how long to wait for a workspace port to accept a connection
 * @param eventLoopThreads event loop threads; 0 means one per core
 * @param routes           the workspace routes, until the route store replaces the static table
 */
public record GatewayConfig(
        List<InetSocketAddress> listeners,
        Transport transport,
        boolean transportForced,
        List<String> baseDomains,
        TlsFiles tls,
        Duration connectTimeout,
        int eventLoopThreads,
        RouteTable routes) {

    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

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
        requireNonNull(connectTimeout, "connectTimeout");
        if (connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("connectTimeout: " + connectTimeout + " (expected: > 0)");
        }
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
