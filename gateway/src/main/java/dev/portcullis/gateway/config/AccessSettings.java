package dev.portcullis.gateway.config;

import static java.util.Objects.requireNonNull;

import dev.portcullis.config.InvalidKeyException;
import dev.portcullis.gateway.access.IdentityAssertions;
import dev.portcullis.policy.OrgPolicy;
import dev.portcullis.policy.ShareLevel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Where the gateway keeps org policies and port shares, and what applies when an org has no policy.
 *
 * @param stateDirectory  the folder of the embedded policy state; empty keeps it in memory only
 * @param defaultMaxLevel the widest share allowed in an org without a policy of its own
 * @param adminClaim      the token claim that makes its holder an admin of the org in its org claim
 *                        (a boolean {@code true}); admins manage policies and every share of their org
 * @param assertionKeyFile the key the gateway signs identity assertions with (a P-256 JWK, made when
 *                        missing; share it between gateways); empty: a new key per process
 * @param assertionLifetime how long an identity assertion is good for, at most five minutes
 */
public record AccessSettings(Optional<Path> stateDirectory, ShareLevel defaultMaxLevel, String adminClaim,
                             Optional<Path> assertionKeyFile, Duration assertionLifetime) {
    public static final AccessSettings DEFAULTS = new AccessSettings(Optional.empty(), ShareLevel.ORGANIZATION,
            "portcullis_admin", Optional.empty(), Duration.ofMinutes(2));

    /** Where policies live and what the fallback is; identity assertions as by default. */
    public AccessSettings(Optional<Path> stateDirectory, ShareLevel defaultMaxLevel, String adminClaim) {
        this(stateDirectory, defaultMaxLevel, adminClaim, DEFAULTS.assertionKeyFile(), DEFAULTS.assertionLifetime());
    }

    public AccessSettings {
        requireNonNull(stateDirectory, "stateDirectory");
        requireNonNull(defaultMaxLevel, "defaultMaxLevel");
        requireNonNull(adminClaim, "adminClaim");
        if (adminClaim.isBlank()) {
            throw new InvalidKeyException("access.adminClaim", "empty (expected: a claim name)");
        }
        requireNonNull(assertionKeyFile, "assertionKeyFile");
        requireNonNull(assertionLifetime, "assertionLifetime");
        if (assertionLifetime.isNegative() || assertionLifetime.isZero()
                || assertionLifetime.compareTo(IdentityAssertions.MAX_LIFETIME) > 0) {
            throw new InvalidKeyException("access.identityAssertion.lifetime", assertionLifetime
                    + " (expected: more than 0, at most 5m)");
        }
    }

    /** The policy of every org that has none: sharing allowed up to {@link #defaultMaxLevel()}. */
    public OrgPolicy fallbackPolicy() {
        return OrgPolicy.builder(defaultMaxLevel).build();
    }
}
