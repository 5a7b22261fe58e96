package dev.portcullis.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.access.Principals;
import dev.portcullis.gateway.access.UserNames;
import dev.portcullis.gateway.auth.DevelopmentIssuer;
import dev.portcullis.gateway.auth.IdentityVerifier;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.auth.IssuerConfig;
import dev.portcullis.gateway.auth.TokenRejectedException;
import dev.portcullis.policy.Principal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo trusts two issuers for acme; with issuers separated, bare names such as the owner
 * {@code alice} would match nobody. Its issuers are declared to name the same people, so the alice
 * of the printed curl line (development issuer) and the alice who signs in (the demo provider) are
 * both the owner, while the provider, whose login page anyone can edit, may not carry the admin claim.
 */
class DemoIdentityTest {
    @TempDir
    Path state;

    private DemoIdentityProvider provider;
    private DevelopmentIssuer developmentIssuer;
    private IdentityVerifierConfig config;
    private IdentityVerifier issuers;

    @BeforeEach
    void start() throws Exception {
        provider = DemoIdentityProvider.start(state.resolve("signin"), 0);
        developmentIssuer = DevelopmentIssuer.loadOrCreate(state.resolve("issuer"));
        config = provider.identityWith(developmentIssuer);
        issuers = IdentityVerifier.create(config);
    }

    @AfterEach
    void stop() {
        issuers.close();
        provider.close();
    }

    private Principal caller(String issuer, String user, String org) throws TokenRejectedException {
        return Principals.of(issuers.restore(issuer, user, Optional.empty(), Optional.of(org), List.of(), Map.of(),
                Instant.MAX));
    }

    @Test
    void theCurlLinesAliceAndTheBrowsersAliceAreBothTheOwner() throws Exception {
        assertThat(caller(DevelopmentIssuer.ISSUER, Demo.OWNER, "acme").isNamedBy(Demo.OWNER, "acme"))
                .isTrue();
        assertThat(caller(provider.issuer().toString(), Demo.OWNER, "acme").isNamedBy(Demo.OWNER, "acme"))
                .isTrue();
        // The printed token verifies and is that alice.
        String token = developmentIssuer.mint(new DevelopmentIssuer.Claims("alice", null, "acme", List.of(), false,
                Duration.ofMinutes(5)));
        assertThat(issuers.verify(token).qualifiedUser()).isEqualTo("alice@" + DemoIdentityProvider.ALIAS);
    }

    @Test
    void eveOfGlobexSignsInAsHerselfAndIsNotAnOwner() throws Exception {
        assertThat(caller(provider.issuer().toString(), "eve", "globex").isNamedBy(Demo.OWNER, "acme")).isFalse();
    }

    @Test
    void onlyTheDevelopmentIssuerMayCarryTheAdminClaim() {
        assertThat(config.issuers()).extracting(IssuerConfig::issuer, IssuerConfig::admin).containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple(provider.issuer().toString(), false),
                org.assertj.core.groups.Tuple.tuple(DevelopmentIssuer.ISSUER, true));
    }

    @Test
    void aBareNameInAShareIsWrittenAsTheDemosUser() {
        assertThat(UserNames.qualified("bob", "acme", config)).isEqualTo("bob@demo");
    }
}
