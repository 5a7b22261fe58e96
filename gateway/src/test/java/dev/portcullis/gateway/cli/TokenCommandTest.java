package dev.portcullis.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.admin.HostRoutesApi;
import dev.portcullis.gateway.auth.DevelopmentIssuer;
import dev.portcullis.gateway.auth.IdentityVerifier;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.auth.VerifiedIdentity;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code ./portcullis token}: a user's token or a host's, minted by the development issuer of a state folder. */
class TokenCommandTest {
    @TempDir
    Path state;

    private record Run(int exitCode, String out) {}

    private Run run(String... args) {
        PrintStream original = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            int exit = new CommandLine(new TokenCommand()).execute(args);
            return new Run(exit, out.toString(StandardCharsets.UTF_8).strip());
        } finally {
            System.setOut(original);
        }
    }

    private VerifiedIdentity verify(String token) throws Exception {
        DevelopmentIssuer issuer = DevelopmentIssuer.load(state.resolve("issuer").resolve(DevelopmentIssuer.KEY_FILE));
        try (IdentityVerifier verifier = IdentityVerifier.create(IdentityVerifierConfig.builder().issuer(issuer.issuerConfig()).build())) {
            return verifier.verifyAsync(token).get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aHostTokenCarriesTheHostClaimAndNoUserOfItsOwn() throws Exception {
        DevelopmentIssuer.loadOrCreate(state.resolve("issuer"));

        Run run = run("--host", "host-1", "--ttl", "30d", "--state-dir", state.toString());

        assertThat(run.exitCode()).isZero();
        VerifiedIdentity host = verify(run.out());
        assertThat(host.otherClaims()).containsEntry(HostRoutesApi.HOST_CLAIM, "host-1");
        assertThat(host.user()).isEqualTo("host:host-1");
        assertThat(host.org()).isEmpty();
    }

    @Test
    void aUserTokenHasNoHostClaim() throws Exception {
        DevelopmentIssuer.loadOrCreate(state.resolve("issuer"));

        Run run = run("--user", "alice", "--org", "acme", "--state-dir", state.toString());

        assertThat(run.exitCode()).isZero();
        assertThat(verify(run.out()).otherClaims()).doesNotContainKey(HostRoutesApi.HOST_CLAIM);
    }

    @Test
    void refusesBothUserAndHostNeitherAndUserClaimsOnAHostToken() throws Exception {
        DevelopmentIssuer.loadOrCreate(state.resolve("issuer"));

        assertThat(run("--user", "alice", "--host", "host-1", "--state-dir", state.toString()).exitCode()).isEqualTo(2);
        assertThat(run("--state-dir", state.toString()).exitCode()).isEqualTo(2);
        assertThat(run("--host", "host-1", "--admin", "--org", "acme", "--state-dir", state.toString()).exitCode())
                .as("a host token is no admin of anything").isEqualTo(2);
        assertThat(run("--host", "host-1", "--ttl", "90d", "--state-dir", state.toString()).exitCode())
                .as("longer than 30 days").isEqualTo(2);
    }
}
