package dev.portcullis.store.etcd;

import static java.util.Objects.requireNonNull;

import dev.portcullis.config.InvalidKeyException;
import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * TLS to etcd: the CA that signed the members' server certificates (the only one trusted: the JDK's
 * public CAs are not), and this client's certificate and key when etcd runs with
 * {@code --client-cert-auth}. Paths are absolute, as every path of the store settings.
 *
 * @param caFile           PEM certificates of the CA(s) that signed etcd's server certificates
 * @param certificateChain PEM client certificate (and intermediates), together with {@code privateKey}
 * @param privateKey       the client certificate's unencrypted PEM key in PKCS#8 ({@code BEGIN PRIVATE KEY}),
 *                         the one form Netty reads on its own
 */
public record EtcdTls(Path caFile, Optional<Path> certificateChain, Optional<Path> privateKey) {
    private static final String KEY = "store.etcd.tls.";

    public EtcdTls {
        absolute("caFile", requireNonNull(caFile, "caFile"));
        requireNonNull(certificateChain, "certificateChain");
        requireNonNull(privateKey, "privateKey");
        if (certificateChain.isPresent() != privateKey.isPresent()) {
            String missing = certificateChain.isPresent() ? "privateKey" : "certificateChain";
            String present = certificateChain.isPresent() ? "certificateChain" : "privateKey";
            throw new InvalidKeyException(KEY + missing, "missing (expected: together with " + KEY + present
                    + ", the client certificate's other half)");
        }
        certificateChain.ifPresent(file -> absolute("certificateChain", file));
        privateKey.ifPresent(file -> absolute("privateKey", file));
    }

    /** As a config section gives the files: {@code null} for a key that is not there. */
    public static EtcdTls fromConfig(Path caFile, Path certificateChain, Path privateKey) {
        if (caFile == null) {
            throw new InvalidKeyException(KEY + "caFile", "missing (expected: the CA that signed etcd's server certificates)");
        }
        return new EtcdTls(caFile, Optional.ofNullable(certificateChain), Optional.ofNullable(privateKey));
    }

    /** Verifies etcd with {@code caFile}; presents no client certificate. */
    public static EtcdTls verifying(Path caFile) {
        return new EtcdTls(caFile, Optional.empty(), Optional.empty());
    }

    public EtcdTls withClientCertificate(Path chain, Path key) {
        return new EtcdTls(caFile, Optional.of(chain), Optional.of(key));
    }

    /**
     * Reads the files into the client's TLS context.
     *
     * @throws IllegalArgumentException naming the key and the file that is missing, unreadable or not
     *                                  what it should be
     */
    public SslContext sslContext() {
        SslContextBuilder builder = GrpcSslContexts.forClient()
                .trustManager(certificates("caFile", caFile).toArray(X509Certificate[]::new));
        if (certificateChain.isPresent()) {
            Path chain = certificateChain.get();
            Path key = privateKey.orElseThrow();
            certificates("certificateChain", chain);
            readable("privateKey", key);
            try {
                builder.keyManager(chain.toFile(), key.toFile());
            } catch (IllegalArgumentException e) {
                throw new InvalidKeyException(KEY + "privateKey", "'" + key + "': not a key this client can read"
                        + " (expected: an unencrypted PEM private key in PKCS#8, BEGIN PRIVATE KEY; convert another form with"
                        + " openssl pkcs8 -topk8 -nocrypt -in key.pem -out key-pkcs8.pem)", e);
            }
        }
        try {
            return builder.build();
        } catch (SSLException e) {
            throw new InvalidKeyException(KEY + "caFile", "cannot set up TLS with these files: " + e.getMessage(), e);
        }
    }

    private static List<X509Certificate> certificates(String key, Path file) {
        readable(key, file);
        try (InputStream in = Files.newInputStream(file)) {
            // The JDK reads PEM (one or more BEGIN CERTIFICATE blocks) as well as DER.
            List<X509Certificate> certificates = CertificateFactory.getInstance("X.509").generateCertificates(in).stream()
                    .map(X509Certificate.class::cast).toList();
            if (certificates.isEmpty()) {
                throw new InvalidKeyException(KEY + key, "'" + file + "': no certificate in the file (expected: PEM certificates)");
            }
            return certificates;
        } catch (IOException | CertificateException e) {
            throw new InvalidKeyException(KEY + key, "'" + file + "': not a certificate (expected: PEM certificates): "
                    + e.getMessage(), e);
        }
    }

    private static void readable(String key, Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            in.read();
        } catch (NoSuchFileException e) {
            throw new InvalidKeyException(KEY + key, "'" + file + "': no such file", e);
        } catch (AccessDeniedException e) {
            throw new InvalidKeyException(KEY + key, "'" + file + "': cannot read it (permission denied)", e);
        } catch (IOException e) {
            throw new InvalidKeyException(KEY + key, "'" + file + "': cannot read it: " + e.getMessage(), e);
        }
    }

    private static void absolute(String key, Path file) {
        if (!file.isAbsolute()) {
            throw new InvalidKeyException(KEY + key, "'" + file + "' (expected: an absolute path)");
        }
    }
}
