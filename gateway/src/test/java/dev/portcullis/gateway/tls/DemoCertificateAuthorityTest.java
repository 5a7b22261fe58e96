package dev.portcullis.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoCertificateAuthorityTest {
    @TempDir
    Path folder;

    @Test
    void issuesAWildcardCertificateSignedByItsCa() throws Exception {
        DemoCertificateAuthority ca = new DemoCertificateAuthority(folder);
        ca.ensureServerCertificate("ws.localhost");

        List<X509Certificate> chain = PemFiles.readCertificates(ca.serverCertificateChain());
        X509Certificate root = PemFiles.readCertificates(ca.caCertificate()).get(0);
        chain.get(0).verify(root.getPublicKey());
        assertThat(chain.get(0).getSubjectAlternativeNames())
                .contains(List.of(2, "*.ws.localhost"), List.of(2, "ws.localhost"));
        assertThat(chain.get(0).getBasicConstraints()).isEqualTo(-1);
        assertThat(root.getBasicConstraints()).isGreaterThanOrEqualTo(0);
        assertThat(PemFiles.readPrivateKey(ca.serverKey()).getAlgorithm()).isEqualTo("EC");
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
        assertThat(PemFiles.readCertificates(ca.serverCertificateChain()).get(0).getSubjectAlternativeNames())
                .contains(List.of(2, "*.dev.localhost"));
    }
}
