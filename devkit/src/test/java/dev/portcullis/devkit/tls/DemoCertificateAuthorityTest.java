package dev.portcullis.devkit.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoCertificateAuthorityTest {
    @TempDir
    Path folder;

    @Test
    void issuesAWildcardCertificateSignedByItsCa() throws Exception {
        DemoCertificateAuthority ca = new DemoCertificateAuthority(folder);
        ca.ensureServerCertificate("ws.localhost");

        List<X509Certificate> chain = certificates(ca.serverCertificateChain());
        X509Certificate root = certificates(ca.caCertificate()).get(0);
        chain.get(0).verify(root.getPublicKey());
        assertThat(chain.get(0).getSubjectAlternativeNames())
                .contains(List.of(2, "*.ws.localhost"), List.of(2, "ws.localhost"));
        assertThat(chain.get(0).getBasicConstraints()).isEqualTo(-1);
        assertThat(root.getBasicConstraints()).isGreaterThanOrEqualTo(0);
        assertThat(keyAlgorithmOid(ca.serverKey())).isEqualTo("1.2.840.10045.2.1"); // id-ecPublicKey
        assertThat(Files.getPosixFilePermissions(ca.serverKey()).toString()).isEqualTo("[OWNER_READ, OWNER_WRITE]");
    }

    @Test
    void reusesWhatTheFirstRunCreated() throws Exception {
        DemoCertificateAuthority ca = new DemoCertificateAuthority(folder);
        ca.ensureServerCertificate("ws.localhost");
        byte[] caBefore = Files.readAllBytes(ca.caCertificate());
        byte[] serverBefore = Files.readAllBytes(ca.serverCertificateChain());

        new DemoCertificateAuthority(folder).ensureServerCertificate("ws.localhost");

        assertThat(Files.readAllBytes(ca.caCertificate())).isEqualTo(caBefore);
        assertThat(Files.readAllBytes(ca.serverCertificateChain())).isEqualTo(serverBefore);
    }

    @Test
    void issuesANewServerCertificateWhenTheDomainChangesButKeepsTheCa() throws Exception {
        DemoCertificateAuthority ca = new DemoCertificateAuthority(folder);
        ca.ensureServerCertificate("ws.localhost");
        byte[] caBefore = Files.readAllBytes(ca.caCertificate());

        ca.ensureServerCertificate("dev.localhost");

        assertThat(Files.readAllBytes(ca.caCertificate())).isEqualTo(caBefore);
        assertThat(certificates(ca.serverCertificateChain()).get(0).getSubjectAlternativeNames())
                .contains(List.of(2, "*.dev.localhost"));
    }

    /** Read with the JDK alone, so the test does not lean on the gateway's PEM reader. */
    private static List<X509Certificate> certificates(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return CertificateFactory.getInstance("X.509").generateCertificates(in).stream()
                    .map(X509Certificate.class::cast).toList();
        }
    }

    private static String keyAlgorithmOid(Path pem) throws Exception {
        try (Reader in = Files.newBufferedReader(pem); PEMParser parser = new PEMParser(in)) {
            Object key = parser.readObject();
            PrivateKeyInfo info = key instanceof PEMKeyPair pair ? pair.getPrivateKeyInfo() : (PrivateKeyInfo) key;
            return info.getPrivateKeyAlgorithm().getAlgorithm().getId();
        }
    }
}
