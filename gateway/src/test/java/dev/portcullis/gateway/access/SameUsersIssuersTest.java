package dev.portcullis.gateway.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.portcullis.gateway.auth.IdentityVerifier;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.auth.IssuerConfig;
import dev.portcullis.gateway.auth.TokenRejectedException;
import dev.portcullis.policy.Principal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Issuers declared to name the same people ({@code sameUsersAs}, as the demo's token issuer beside
 * its sign-in provider) are one home for their orgs; any other issuer bound to the org is not.
 */
class SameUsersIssuersTest {

    private static IssuerConfig.Builder issuer(String url) throws JOSEException {
        return IssuerConfig.builder(url, "p").algorithms(JWSAlgorithm.ES256)
                .staticKeys(new JWKSet(new ECKeyGenerator(Curve.P_256).keyID("k").generate().toPublicJWK()));
    }

    private static Principal alice(IdentityVerifier issuers, String issuer) throws TokenRejectedException {
        return Principals.of(issuers.restore(issuer, "alice", Optional.empty(), Optional.of("acme"), List.of(), Map.of(),
                Instant.MAX));
    }

    @Test
    void bareNamesOfTheOrgMeanTheUsersOfEveryIssuerDeclaredToNameThem() throws Exception {
        IdentityVerifier issuers = IdentityVerifier.create(IdentityVerifierConfig.builder()
                .issuer(issuer("https://idp.example").alias("demo").orgs("acme", "globex").admin(false).build())
                .issuer(issuer("https://cli.example").sameUsersAs("demo").orgs("acme", "globex").build())
                .build());

        assertThat(alice(issuers, "https://idp.example").isNamedBy("alice", "acme")).isTrue();
        assertThat(alice(issuers, "https://cli.example").isNamedBy("alice", "acme")).isTrue();
        assertThat(alice(issuers, "https://cli.example").isNamedBy("alice@demo", "acme")).isTrue();
    }

    @Test
    void aThirdIssuerBoundToTheOrgMakesBareNamesMatchNobody() throws Exception {
        IdentityVerifier issuers = IdentityVerifier.create(IdentityVerifierConfig.builder()
                .issuer(issuer("https://idp.example").alias("demo").orgs("acme").build())
                .issuer(issuer("https://cli.example").sameUsersAs("demo").orgs("acme").build())
                .issuer(issuer("https://partner.example").alias("partner").orgs("acme").build())
                .build());

        assertThat(alice(issuers, "https://idp.example").isNamedBy("alice", "acme")).isFalse();
        assertThat(alice(issuers, "https://partner.example").isNamedBy("alice", "acme")).isFalse();
        assertThat(alice(issuers, "https://partner.example").isNamedBy("alice@demo", "acme")).isFalse();
        assertThat(alice(issuers, "https://cli.example").isNamedBy("alice@demo", "acme")).isTrue();
    }

    @Test
    void twoIssuersWhoseAliasesMerelyCollideAreRefused() {
        assertThatThrownBy(() -> IdentityVerifierConfig.builder()
                .issuer(issuer("https://idp.example/realms/a").orgs("acme").build())
                .issuer(issuer("https://idp.example/realms/b").orgs("acme").build())
                .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("alias 'idp.example'").hasMessageContaining("sameUsersAs");
    }

    @Test
    void aBareNameInANewShareIsWrittenWithTheSharedAlias() throws Exception {
        IdentityVerifierConfig issuers = IdentityVerifierConfig.builder()
                .issuer(issuer("https://idp.example").alias("demo").orgs("acme").build())
                .issuer(issuer("https://cli.example").sameUsersAs("demo").orgs("acme").build())
                .issuer(issuer("https://partner.example").alias("partner").orgs("globex").build())
                .build();

        assertThat(UserNames.qualified("bob", "acme", issuers)).isEqualTo("bob@demo");
        assertThat(UserNames.qualified("bob@partner", "acme", issuers)).isEqualTo("bob@partner");
        assertThatThrownBy(() -> UserNames.qualified("bob", "initech", issuers))
                .hasMessageContaining("org 'initech' is spoken for by no issuer");
    }
}
