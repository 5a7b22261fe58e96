package dev.portcullis.gateway.access;

import static java.util.Objects.requireNonNull;

import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.auth.IssuerConfig;
import dev.portcullis.policy.Principal;
import java.util.List;

/**
 * User names as records of an org hold them: qualified {@code alice@corp} (subject and issuer
 * alias), or bare {@code alice} from before issuers were told apart, which means the subject of the
 * org's home issuer (the one issuer bound to the org, or the issuers declared to name the same
 * people, which share one alias). New records are written qualified.
 */
public final class UserNames {
    private UserNames() {}

    /**
     * {@code name} qualified for a record of {@code org}: a bare name gets the org's home issuer;
     * a qualified one must name a trusted issuer's alias.
     *
     * @throws IllegalArgumentException saying which issuers to choose from, when the org has no
     *         home issuer or the alias is unknown
     */
    public static String qualified(String name, String org, IdentityVerifierConfig issuers) {
        requireNonNull(name, "name");
        requireNonNull(issuers, "issuers");
        int at = name.lastIndexOf('@');
        if (at >= 0) {
            String alias = name.substring(at + 1);
            if (at == 0 || issuers.byAlias(alias).isEmpty()) {
                throw new IllegalArgumentException("user '" + name + "': issuer alias '" + alias + "' is not trusted"
                        + " (expected: subject@alias with an alias of " + aliases(issuers) + ")");
            }
            return name;
        }
        // Issuers declared to name the same people (sameUsersAs) share one alias: together one home.
        List<String> bound = issuers.issuers().stream().filter(i -> i.speaksFor(org)).map(IssuerConfig::alias)
                .distinct().sorted().toList();
        if (bound.size() != 1) {
            throw new IllegalArgumentException("user '" + name + "': org '" + org + "' is spoken for by "
                    + (bound.isEmpty() ? "no issuer" : "issuers " + bound)
                    + " (expected: name the issuer, as in '" + name + "@" + aliases(issuers).get(0) + "')");
        }
        return name + '@' + bound.get(0);
    }

    /**
     * The principal a name such as {@code alice@corp} stands for, for explaining a decision about a
     * user who is not the caller; a bare name stands for the subject of whichever issuer is home.
     */
    public static Principal.Builder principal(String name, IdentityVerifierConfig issuers) {
        int at = name.lastIndexOf('@');
        if (at > 0) {
            String alias = name.substring(at + 1);
            IssuerConfig issuer = issuers.byAlias(alias).orElseThrow(() -> new IllegalArgumentException("user '" + name
                    + "': issuer alias '" + alias + "' is not trusted (expected: one of " + aliases(issuers) + ")"));
            return Principal.builder(name.substring(0, at)).issuer(alias, issuers.scopeOf(issuer));
        }
        return Principal.builder(name);
    }

    private static List<String> aliases(IdentityVerifierConfig issuers) {
        return issuers.issuers().stream().map(IssuerConfig::alias).distinct().sorted().toList();
    }
}
