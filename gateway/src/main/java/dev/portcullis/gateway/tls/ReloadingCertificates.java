package dev.portcullis.gateway.tls;

import dev.portcullis.gateway.config.GatewayConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.Mapping;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SNI mapping of the gateway's listeners, over certificates that are reloaded when their files
 * change. The files are polled (by content digest, so a renewal that swaps a symlink or rewrites a
 * file in place is both seen); a new generation is swapped in whole for new handshakes, while open
 * connections keep the session they have. A generation that fails to load is logged and the
 * current one stays.
 */
public final class ReloadingCertificates implements Mapping<String, SslContext>, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReloadingCertificates.class);

    private final GatewayConfig.TlsSettings settings;
    private final SslProvider provider;
    private final ScheduledExecutorService poller;
    private volatile ServerCertificates current;
    private byte[] currentDigest;
    private byte[] rejectedDigest;

    private ReloadingCertificates(GatewayConfig.TlsSettings settings, SslProvider provider) {
        this.settings = settings;
        this.provider = provider;
        this.poller = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("tls-reload").factory());
    }

    /** Loads the certificates (failing the start if they cannot be used) and starts watching them. */
    public static ReloadingCertificates start(GatewayConfig.TlsSettings settings) throws IOException {
        SslProvider provider = ServerTls.provider(settings.provider());
        ReloadingCertificates certificates = new ReloadingCertificates(settings, provider);
        certificates.currentDigest = certificates.digestOfFiles();
        certificates.current = ServerCertificates.load(settings.certificates(), provider);
        long interval = settings.reloadInterval().toMillis();
        certificates.poller.scheduleWithFixedDelay(certificates::reloadIfChanged, interval, interval, TimeUnit.MILLISECONDS);
        log.info("TLS provider: {} ({} certificate(s), checked for changes every {} ms)",
                provider == SslProvider.OPENSSL ? "OpenSSL (netty-tcnative BoringSSL)" : "JDK", settings.certificates().size(), interval);
        return certificates;
    }

    @Override
    public SslContext map(String serverName) {
        return current.forServerName(serverName);
    }

    private void reloadIfChanged() {
        try {
            byte[] digest = digestOfFiles();
            if (MessageDigest.isEqual(digest, currentDigest) || MessageDigest.isEqual(digest, rejectedDigest)) {
                return;
            }
            try {
                current = ServerCertificates.load(settings.certificates(), provider);
                currentDigest = digest;
                log.info("Reloaded the TLS certificates: new connections get the new ones");
            } catch (IOException | RuntimeException e) {
                rejectedDigest = digest; // said once per bad version of the files, not every poll
                log.error("The changed TLS certificates cannot be used, keeping the current ones: {}", e.getMessage());
            }
        } catch (IOException e) {
            log.warn("Cannot read the TLS certificate files to check for changes: {}", e.getMessage());
        }
    }

    private byte[] digestOfFiles() throws IOException {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (GatewayConfig.TlsFiles files : settings.certificates()) {
                for (Path file : new Path[] {files.certificateChain(), files.privateKey()}) {
                    digest.update(Files.readAllBytes(file));
                }
            }
            return digest.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        poller.shutdownNow();
    }
}
