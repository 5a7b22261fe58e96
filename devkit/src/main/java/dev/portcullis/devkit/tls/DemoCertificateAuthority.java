package dev.portcullis.devkit.tls;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local certificate authority for the demo: on first run it creates a CA and a wildcard server
 * certificate for {@code *.<baseDomain>} in a state folder; later runs reuse them, so a browser or
 * curl that trusts {@code ca.pem} once keeps trusting the gateway. Never for production.
 */
public final class DemoCertificateAuthority {
    private static final Logger log = LoggerFactory.getLogger(DemoCertificateAuthority.class);

    private static final Duration CA_VALIDITY = Duration.ofDays(3650);
    // Browsers refuse server certificates valid for longer than 398 days, even from a local CA.
    private static final Duration SERVER_VALIDITY = Duration.ofDays(397);
    private static final Duration RENEW_BEFORE = Duration.ofDays(30);

    private final Path folder;

    public DemoCertificateAuthority(Path folder) {
        this.folder = folder;
    }

    public Path caCertificate() {
        return folder.resolve("ca.pem");
    }

    private Path caKey() {
        return folder.resolve("ca-key.pem");
    }

    public Path serverCertificateChain() {
        return folder.resolve("server.pem");
    }

    public Path serverKey() {
        return folder.resolve("server-key.pem");
    }

    /** Makes sure a CA and a current certificate for {@code *.baseDomain} exist; creates what is missing. */
    public void ensureServerCertificate(String baseDomain) throws IOException {
        Files.createDirectories(folder);
        try {
            if (!Files.exists(caCertificate()) || !Files.exists(caKey()) || expiresSoon(caCertificate())) {
                createCa();
            }
            if (!Files.exists(serverCertificateChain()) || !Files.exists(serverKey())
                    || expiresSoon(serverCertificateChain()) || !coversDomain(baseDomain)) {
                createServerCertificate(baseDomain);
            }
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IOException("cannot create the demo certificates in " + folder + ": " + e.getMessage(), e);
        }
    }

    private void createCa() throws GeneralSecurityException, OperatorCreationException, IOException {
        KeyPair keys = newKeyPair();
        X500Principal name = new X500Principal("CN=Portcullis demo CA " + Instant.now().getEpochSecond() + ", O=Portcullis");
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial(),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(CA_VALIDITY)), name, keys.getPublic());
        JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        builder.addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(keys.getPublic()));
        X509Certificate certificate = sign(builder, keys.getPrivate());
        PemFiles.write(caKey(), true, keys.getPrivate());
        PemFiles.write(caCertificate(), false, certificate);
        log.info("Created the demo certificate authority {}", caCertificate());
    }

    private void createServerCertificate(String baseDomain) throws GeneralSecurityException, OperatorCreationException, IOException {
        X509Certificate ca = PemFiles.readFirstCertificate(caCertificate());
        PrivateKey caKey = PemFiles.readPrivateKey(caKey());
        KeyPair keys = newKeyPair();
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(ca, serial(),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(SERVER_VALIDITY)),
                new X500Principal("CN=*." + baseDomain), keys.getPublic());
        JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "*." + baseDomain),
                new GeneralName(GeneralName.dNSName, baseDomain)}));
        builder.addExtension(Extension.authorityKeyIdentifier, false, extensions.createAuthorityKeyIdentifier(ca));
        X509Certificate certificate = sign(builder, caKey);
        PemFiles.write(serverKey(), true, keys.getPrivate());
        PemFiles.write(serverCertificateChain(), false, certificate, ca);
        log.info("Created the demo server certificate for *.{} in {}", baseDomain, serverCertificateChain());
    }

    private boolean expiresSoon(Path certificateFile) throws IOException {
        X509Certificate certificate = PemFiles.readFirstCertificate(certificateFile);
        return certificate.getNotAfter().toInstant().isBefore(Instant.now().plus(RENEW_BEFORE));
    }

    private boolean coversDomain(String baseDomain) throws IOException {
        try {
            X509Certificate leaf = PemFiles.readFirstCertificate(serverCertificateChain());
            var names = leaf.getSubjectAlternativeNames();
            return names != null && names.stream().anyMatch(name -> List.of(GeneralName.dNSName, "*." + baseDomain).equals(name));
        } catch (java.security.cert.CertificateParsingException e) {
            return false;
        }
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static BigInteger serial() {
        return new BigInteger(128, new SecureRandom());
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signer)
            throws OperatorCreationException, GeneralSecurityException {
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
    }
}
