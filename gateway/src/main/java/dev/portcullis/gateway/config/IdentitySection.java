package dev.portcullis.gateway.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWKSet;
import dev.portcullis.gateway.auth.DevelopmentIssuer;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.auth.IssuerConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.List;
import java.util.Set;

/** The {@code identity} section of the gateway config: which token issuers the gateway trusts. */
public final class IdentitySection {
    @JsonProperty("issuers")
    public List<Issuer> issuers;
    @JsonProperty("clockSkew")
    public GatewayConfigFile.ConfigDuration clockSkew;
    /** Trusts the development issuer whose key is in this folder (made on first use). Never in production. */
    @JsonProperty("developmentIssuer")
    public DevelopmentIssuerSection developmentIssuer;

    public static final class DevelopmentIssuerSection {
        @JsonProperty("stateDirectory")
        public String stateDirectory;
        @JsonProperty("orgs")
        public List<String> orgs;
        @JsonProperty("admin")
        public Boolean admin;
    }

    public static final class Issuer {
        @JsonProperty("issuer")
        public String issuer;
        @JsonProperty("audience")
        public String audience;
        @JsonProperty("jwksUrl")
        public String jwksUrl;
        @JsonProperty("jwksFile")
        public String jwksFile;
        @JsonProperty("algorithms")
        public List<String> algorithms;
        @JsonProperty("typ")
        public String typ;
        @JsonProperty("userClaim")
        public String userClaim;
        @JsonProperty("emailClaim")
        public String emailClaim;
        @JsonProperty("orgClaim")
        public String orgClaim;
        @JsonProperty("groupsClaim")
        public String groupsClaim;
        /** How records name this issuer's users ({@code alice@corp}); the issuer URL's host by default. */
        @JsonProperty("alias")
        public String alias;
        /** The orgs this issuer may speak for; required when several issuers are trusted. */
        @JsonProperty("orgs")
        public List<String> orgs;
        /** Whether its tokens may carry the admin claim; by default only a single trusted issuer may. */
        @JsonProperty("admin")
        public Boolean admin;
        /** Instead of alias: the alias of another issuer whose people this one names too (same orgs). */
        @JsonProperty("sameUsersAs")
        public String sameUsersAs;
    }

    IdentityVerifierConfig toConfig(Path folder) {
        boolean development = developmentIssuer != null;
        if ((issuers == null || issuers.isEmpty()) && !development) {
            throw new IllegalArgumentException("identity.issuers: missing (expected: at least one issuer)");
        }
        IdentityVerifierConfig.Builder config = IdentityVerifierConfig.builder();
        boolean several = (issuers == null ? 0 : issuers.size()) + (development ? 1 : 0) > 1;
        if (development) {
            if (developmentIssuer.stateDirectory == null) {
                throw new IllegalArgumentException("identity.developmentIssuer.stateDirectory: missing (this key is required)");
            }
            try {
                IssuerConfig issuer = DevelopmentIssuer.loadOrCreate(folder.resolve(developmentIssuer.stateDirectory)).issuerConfig();
                config.issuer(issuer.bound(orgs(developmentIssuer.orgs, several, "identity.developmentIssuer"),
                        admin(developmentIssuer.admin, several)));
            } catch (IOException e) {
                throw new IllegalArgumentException("identity.developmentIssuer.stateDirectory: " + e.getMessage(), e);
            }
        }
        for (int i = 0; issuers != null && i < issuers.size(); i++) {
            String path = "identity.issuers[" + i + "]";
            Issuer section = issuers.get(i);
            config.issuer(issuer(section, path, folder).bound(orgs(section.orgs, several, path), admin(section.admin, several)));
        }
        if (clockSkew != null) {
            config.clockSkew(clockSkew.value());
        }
        return config.build();
    }

    /**
     * The orgs an issuer may speak for: as listed; every org when it is the only issuer and lists
     * none. With several issuers the list is required, so no IdP speaks for another's org by default.
     */
    private static Set<String> orgs(List<String> listed, boolean several, String path) {
        if (listed == null || listed.isEmpty()) {
            if (several) {
                throw new IllegalArgumentException(path + ".orgs: missing (expected: the orgs this issuer may speak for;"
                        + " required when several issuers are trusted, so that one IdP cannot speak for another's org)");
            }
            return Set.of(IssuerConfig.ANY_ORG);
        }
        if (several && listed.contains(IssuerConfig.ANY_ORG)) {
            throw new IllegalArgumentException(path + ".orgs: " + listed + " (expected: org names; '*' only when one"
                    + " issuer is trusted)");
        }
        return Set.copyOf(listed);
    }

    /** Only a single trusted issuer carries the admin claim unless the config says otherwise. */
    private static boolean admin(Boolean configured, boolean several) {
        return configured != null ? configured : !several;
    }

    private static IssuerConfig issuer(Issuer section, String path, Path folder) {
        if (section.issuer == null || section.audience == null) {
            throw new IllegalArgumentException(path + ": issuer and audience are required");
        }
        if ((section.jwksUrl == null) == (section.jwksFile == null)) {
            throw new IllegalArgumentException(path + ": exactly one of jwksUrl and jwksFile (expected: where the keys are)");
        }
        try {
            IssuerConfig.Builder issuer = IssuerConfig.builder(section.issuer, section.audience);
            if (section.jwksUrl != null) {
                issuer.jwks(URI.create(section.jwksUrl));
            } else {
                issuer.staticKeys(JWKSet.load(folder.resolve(section.jwksFile).toFile()));
            }
            if (section.algorithms != null) {
                issuer.algorithms(section.algorithms.stream().map(JWSAlgorithm::parse).toArray(JWSAlgorithm[]::new));
            }
            if (section.typ != null) {
                issuer.expectedType(section.typ);
            }
            if (section.userClaim != null) {
                issuer.userClaim(section.userClaim);
            }
            if (section.emailClaim != null) {
                issuer.emailClaim(section.emailClaim);
            }
            if (section.orgClaim != null) {
                issuer.orgClaim(section.orgClaim);
            }
            if (section.groupsClaim != null) {
                issuer.groupsClaim(section.groupsClaim);
            }
            if (section.alias != null && section.sameUsersAs != null) {
                throw new IllegalArgumentException("alias and sameUsersAs both set (expected: one of them; sameUsersAs"
                        + " names this issuer's users with the other issuer's alias)");
            }
            if (section.alias != null) {
                issuer.alias(section.alias);
            }
            if (section.sameUsersAs != null) {
                issuer.sameUsersAs(section.sameUsersAs);
            }
            return issuer.build();
        } catch (IOException | ParseException e) {
            throw new IllegalArgumentException(path + ".jwksFile: cannot read keys: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(path + ": " + e.getMessage(), e);
        }
    }
}
