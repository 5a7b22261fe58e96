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
    }

    IdentityVerifierConfig toConfig(Path folder) {
        boolean development = developmentIssuer != null;
        if ((issuers == null || issuers.isEmpty()) && !development) {
            throw new IllegalArgumentException("identity.issuers: missing (expected: at least one issuer)");
        }
        IdentityVerifierConfig.Builder config = IdentityVerifierConfig.builder();
        if (development) {
            if (developmentIssuer.stateDirectory == null) {
                throw new IllegalArgumentException("identity.developmentIssuer.stateDirectory: missing (this key is required)");
            }
            try {
                config.issuer(DevelopmentIssuer.loadOrCreate(folder.resolve(developmentIssuer.stateDirectory)).issuerConfig());
            } catch (IOException e) {
                throw new IllegalArgumentException("identity.developmentIssuer.stateDirectory: " + e.getMessage(), e);
            }
        }
        for (int i = 0; issuers != null && i < issuers.size(); i++) {
            config.issuer(issuer(issuers.get(i), "identity.issuers[" + i + "]", folder));
        }
        if (clockSkew != null) {
            config.clockSkew(clockSkew.value());
        }
        return config.build();
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
            return issuer.build();
        } catch (IOException | ParseException e) {
            throw new IllegalArgumentException(path + ".jwksFile: cannot read keys: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(path + ": " + e.getMessage(), e);
        }
    }
}
