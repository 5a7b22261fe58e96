package dev.portcullis.cli.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.admin.HostRoutesApi;
import dev.portcullis.gateway.auth.DevelopmentIssuer;
import dev.portcullis.gateway.auth.IdentityVerifier;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.auth.VerifiedIdentity;
import dev.portcullis.cli.PortcullisCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./portcullis token}: a user's token or a host's, minted by the development issuer of a state folder. */
class TokenCommandTest {
    @TempDir
    Path state;

    private record Run(int exitCode, String out) {}

    private Run run(String... args) {
        StringWriter out = new StringWriter();
        String[] command = new String[args.length + 1];
        command[0] = "token";
        System.arraycopy(args, 0, command, 1, args.length);
        int exit = PortcullisCli.execute(new PrintWriter(out), new PrintWriter(new StringWriter()), command);
        return new Run(exit, out.toString().strip());
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
