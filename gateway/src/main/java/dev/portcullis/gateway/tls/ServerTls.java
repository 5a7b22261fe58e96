package dev.portcullis.gateway.tls;

import dev.portcullis.gateway.config.GatewayConfig;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.ReferenceCountedOpenSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLException;

/** Builds one server TLS context: TLS 1.3 and 1.2 only, modern ciphers, h2 or HTTP/1.1 by ALPN. */
public final class ServerTls {
    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
    // TLS 1.2 suites with forward secrecy and AEAD only; TLS 1.3 suites are all modern.
    private static final List<String> CIPHERS = List.of(
            "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    /**
     * Bytes OpenSSL may queue per connection outside a wrap or unwrap (session tickets, alerts).
     * Netty's default, 2 KiB, is allocated for every connection for its whole life: 1.8 KiB of
     * each idle tunnel's memory (docs/benchmarks.md). What does not fit waits inside OpenSSL for
     * the next wrap, so this bounds memory, not what can be sent.
     */
    static final int NON_APPLICATION_BUFFER = 256;

    private ServerTls() {}

    /** The provider {@code wanted} resolves to here: AUTO takes OpenSSL when netty-tcnative loads. */
    public static SslProvider provider(GatewayConfig.TlsProvider wanted) throws IOException {
        return switch (wanted) {
            case JDK -> SslProvider.JDK;
            case OPENSSL -> {
                if (!OpenSsl.isAvailable()) {
                    throw new IOException("tls.provider openssl: netty-tcnative does not load here: "
                            + OpenSsl.unavailabilityCause());
                }
                yield SslProvider.OPENSSL;
            }
            case AUTO -> OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
        };
    }

    public static SslContext load(GatewayConfig.TlsFiles files, SslProvider provider) throws IOException {
        List<X509Certificate> chain = PemFiles.readCertificates(files.certificateChain());
        PrivateKey key = PemFiles.readPrivateKey(files.privateKey());
        try {
            SslContext context = SslContextBuilder.forServer(key, chain)
                    .sslProvider(provider)
                    .protocols(PROTOCOLS)
                    .ciphers(CIPHERS)
                    .applicationProtocolConfig(new ApplicationProtocolConfig(
                            ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                            ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1))
                    .build();
            if (context instanceof ReferenceCountedOpenSslContext openSsl) {
                openSsl.setBioNonApplicationBufferSize(NON_APPLICATION_BUFFER);
            }
            return context;
        } catch (SSLException | IllegalArgumentException e) {
            throw new IOException("cannot use " + files.certificateChain() + " with " + files.privateKey() + ": "
                    + e.getMessage(), e);
        }
    }
}
