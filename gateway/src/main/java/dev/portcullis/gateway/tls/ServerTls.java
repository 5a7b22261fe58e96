package dev.portcullis.gateway.tls;

import dev.portcullis.gateway.config.GatewayConfig;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLException;

/** Builds the gateway's server TLS context: TLS 1.3 and 1.2 only, HTTP/1.1 by ALPN. */
public final class ServerTls {
    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private ServerTls() {}

    public static SslContext load(GatewayConfig.TlsFiles files) throws IOException {
        List<X509Certificate> chain = PemFiles.readCertificates(files.certificateChain());
        PrivateKey key = PemFiles.readPrivateKey(files.privateKey());
        try {
            return SslContextBuilder.forServer(key, chain)
                    .sslProvider(SslProvider.JDK)
                    .protocols(PROTOCOLS)
                    .applicationProtocolConfig(new ApplicationProtocolConfig(
                            ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                            ApplicationProtocolNames.HTTP_1_1))
                    .build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IOException("cannot use " + files.certificateChain() + " with " + files.privateKey() + ": "
                    + e.getMessage(), e);
        }
    }
}
