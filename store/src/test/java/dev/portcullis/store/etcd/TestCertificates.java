package dev.portcullis.store.etcd;

import java.io.IOException;
import java.io.InputStream;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throwaway CA and the certificates an etcd test needs, as PEM files in a folder: the CA, a server
 * certificate for 127.0.0.1 and localhost, and a client certificate. Built with Bouncy Castle the way
 * the gateway's demo CA is, with EC P-256 keys.
 */
public final class TestCertificates {
    private final Path folder;
    private final KeyPair caKeys;
    private final X509Certificate ca;

    private TestCertificates(Path folder, KeyPair caKeys, X509Certificate ca) {
        this.folder = folder;
        this.caKeys = caKeys;
        this.ca = ca;
    }

    /** A new CA named {@code name}, its certificate written to {@code folder/<name>-ca.pem}. */
    public static TestCertificates newCa(Path folder, String name) throws Exception {
        Files.createDirectories(folder);
        KeyPair keys = newKeyPair();
        X500Principal subject = new X500Principal("CN=" + name + " test CA");
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial(), notBefore(), notAfter(),
                subject, keys.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        TestCertificates certificates = new TestCertificates(folder.resolve(name), keys, sign(builder, keys.getPrivate()));
        Files.createDirectories(certificates.folder);
        write(certificates.caFile(), certificates.ca);
        return certificates;
    }

    public Path caFile() {
        return folder.resolve("ca.pem");
    }

    /** A server certificate for {@code names} (IP literals or DNS names): {@code [chain, key]} files. */
    public Path[] server(String fileName, String... names) throws Exception {
        GeneralName[] alternatives = new GeneralName[names.length];
        for (int i = 0; i < names.length; i++) {
            alternatives[i] = new GeneralName(names[i].matches("[0-9.]+") ? GeneralName.iPAddress : GeneralName.dNSName,
                    names[i]);
        }
        return issue(fileName, "CN=" + names[0], KeyPurposeId.id_kp_serverAuth, new GeneralNames(alternatives), false);
    }

    /**
     * A client certificate for {@code commonName}: {@code [chain, key]} files. With {@code traditionalKey}
     * the key is written in the form OpenSSL writes (SEC1, {@code BEGIN EC PRIVATE KEY}), else PKCS#8.
     */
    public Path[] client(String commonName, boolean traditionalKey) throws Exception {
        return issue("client-" + commonName, "CN=" + commonName, KeyPurposeId.id_kp_clientAuth, null, traditionalKey);
    }

    private Path[] issue(String fileName, String subject, KeyPurposeId purpose, GeneralNames alternatives,
                         boolean traditionalKey) throws Exception {
        KeyPair keys = newKeyPair();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(ca, serial(), notBefore(), notAfter(),
                new X500Principal(subject), keys.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
        if (alternatives != null) {
            builder.addExtension(Extension.subjectAlternativeName, false, alternatives);
        }
        X509Certificate certificate = sign(builder, caKeys.getPrivate());
        Path chain = folder.resolve(fileName + ".pem");
        Path key = folder.resolve(fileName + "-key.pem");
        write(chain, certificate);
        try (Writer out = Files.newBufferedWriter(key, StandardCharsets.US_ASCII); JcaPEMWriter pem = new JcaPEMWriter(out)) {
            pem.writeObject(traditionalKey ? keys.getPrivate() : new JcaPKCS8Generator(keys.getPrivate(), null));
        }
        return new Path[] {chain, key};
    }

    /** A JDK client context with this CA as its only trust and {@code client} as its certificate. */
    public SSLContext jdkClientContext(Path[] client) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca);
        TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trustManagers.init(trust);
        KeyStore identity = KeyStore.getInstance("PKCS12");
        identity.load(null, null);
        char[] password = "test".toCharArray();
        identity.setKeyEntry("client", readKey(client[1]), password,
                new X509Certificate[] {readCertificate(client[0])});
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(identity, password);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers.getKeyManagers(), trustManagers.getTrustManagers(), new SecureRandom());
        return context;
    }

    private static PrivateKey readKey(Path file) throws IOException {
        try (PEMParser parser = new PEMParser(Files.newBufferedReader(file, StandardCharsets.US_ASCII))) {
            Object object = parser.readObject();
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            return object instanceof PEMKeyPair pair ? converter.getKeyPair(pair).getPrivate()
                    : converter.getPrivateKey((PrivateKeyInfo) object);
        }
    }

    private static X509Certificate readCertificate(Path file) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    private static void write(Path file, X509Certificate certificate) throws IOException {
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.US_ASCII); JcaPEMWriter pem = new JcaPEMWriter(out)) {
            pem.writeObject(certificate);
        }
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signer) throws Exception {
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
    }

    private static BigInteger serial() {
        return new BigInteger(128, new SecureRandom());
    }

    private static Date notBefore() {
        return Date.from(Instant.now().minus(Duration.ofHours(1)));
    }

    private static Date notAfter() {
        return Date.from(Instant.now().plus(Duration.ofDays(2)));
    }
}
