package dev.portcullis.gateway.tls;

import dev.portcullis.gateway.config.GatewayConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One loaded generation of the server certificates, indexed by the DNS names they cover, so SNI
 * finds a certificate with two map lookups: the exact name, then the wildcard of its parent.
 */
final class ServerCertificates {
    private final Map<String, SslContext> exact;
    private final Map<String, SslContext> wildcardParents;
    private final SslContext fallback;

    private ServerCertificates(Map<String, SslContext> exact, Map<String, SslContext> wildcardParents, SslContext fallback) {
        this.exact = exact;
        this.wildcardParents = wildcardParents;
        this.fallback = fallback;
    }

    static ServerCertificates load(List<GatewayConfig.TlsFiles> files, SslProvider provider) throws IOException {
        Map<String, SslContext> exact = new HashMap<>();
        Map<String, SslContext> wildcardParents = new HashMap<>();
        SslContext fallback = null;
        for (GatewayConfig.TlsFiles certificate : files) {
            SslContext context = ServerTls.load(certificate, provider);
            fallback = fallback == null ? context : fallback;
            X509Certificate leaf = PemFiles.readCertificates(certificate.certificateChain()).get(0);
            for (String name : dnsNames(leaf, certificate)) {
                if (name.startsWith("*.")) {
                    wildcardParents.putIfAbsent(name.substring(2), context);
                } else {
                    exact.putIfAbsent(name, context);
                }
            }
        }
        return new ServerCertificates(Map.copyOf(exact), Map.copyOf(wildcardParents), fallback);
    }

    /** The context for a client's server name; the first certificate when nothing matches. */
    SslContext forServerName(String serverName) {
        if (serverName == null) {
            return fallback;
        }
        String name = serverName.toLowerCase(Locale.ROOT);
        SslContext context = exact.get(name);
        if (context != null) {
            return context;
        }
        int dot = name.indexOf('.');
        if (dot > 0) {
            context = wildcardParents.get(name.substring(dot + 1));
        }
        return context != null ? context : fallback;
    }

    private static List<String> dnsNames(X509Certificate leaf, GatewayConfig.TlsFiles files) throws IOException {
        try {
            var names = leaf.getSubjectAlternativeNames();
            if (names == null) {
                return List.of();
            }
            return names.stream()
                    .filter(name -> Integer.valueOf(2).equals(name.get(0)))
                    .map(name -> ((String) name.get(1)).toLowerCase(Locale.ROOT))
                    .toList();
        } catch (CertificateParsingException e) {
            throw new IOException(files.certificateChain() + ": unreadable subject alternative names", e);
        }
    }
}
