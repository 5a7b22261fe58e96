package dev.portcullis.gateway.auth;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyType;
import java.net.URI;
import java.util.Locale;
import java.util.Set;

/** Where an issuer's verification keys come from: a JWKS URL, or keys written into the config. */
public sealed interface IssuerKeys {

    /** Keys fetched from {@code url}; https, or http to a loopback address only. */
    record Jwks(URI url, JwksPolicy policy) implements IssuerKeys {
        private static final Set<String> LOOPBACK = Set.of("127.0.0.1", "localhost", "[::1]", "::1");

        public Jwks {
            requireNonNull(url, "url");
            requireNonNull(policy, "policy");
            String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
            boolean loopback = url.getHost() != null && LOOPBACK.contains(url.getHost().toLowerCase(Locale.ROOT));
            // Keys fetched in the clear from another machine could be swapped by anyone on the path.
            if (!scheme.equals("https") && !(scheme.equals("http") && loopback)) {
                throw new IllegalArgumentException("jwks url: '" + url + "' (expected: https, or http to a loopback address)");
            }
        }
    }

    /** Public keys given directly; only asymmetric keys are accepted and private parts are dropped. */
    record Static(JWKSet keys) implements IssuerKeys {
        public Static {
            requireNonNull(keys, "keys");
            if (keys.getKeys().isEmpty()) {
                throw new IllegalArgumentException("static keys: empty (expected: at least one public key)");
            }
            for (JWK key : keys.getKeys()) {
                KeyType type = key.getKeyType();
                if (!KeyType.RSA.equals(type) && !KeyType.EC.equals(type) && !KeyType.OKP.equals(type)) {
                    throw new IllegalArgumentException("static key '" + key.getKeyID() + "': type " + type
                            + " (expected: RSA, EC or OKP; shared secrets are not accepted)");
                }
            }
            keys = keys.toPublicJWKSet();
        }
    }
}
