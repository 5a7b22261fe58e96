package dev.portcullis.gateway.auth;

/** Why a token was refused. The codes are stable: they appear in logs, metrics and error bodies. */
public enum RejectionReason {
    TOKEN_TOO_LARGE("token-too-large"),
    TOKEN_MALFORMED("token-malformed"),
    ALG_NOT_ALLOWED("alg-not-allowed"),
    UNKNOWN_CRIT("unknown-crit"),
    WRONG_TYP("wrong-typ"),
    UNKNOWN_ISSUER("unknown-issuer"),
    UNKNOWN_KEY("unknown-key"),
    BAD_SIGNATURE("bad-signature"),
    WRONG_AUDIENCE("wrong-audience"),
    MISSING_EXP("missing-exp"),
    EXPIRED("expired"),
    NOT_YET_VALID("not-yet-valid"),
    MISSING_USER("missing-user"),
    ORG_NOT_BOUND("org-not-bound"),
    JWKS_UNAVAILABLE("jwks-unavailable"),
    VERIFIER_OVERLOADED("verifier-overloaded");

    private final String code;

    RejectionReason(String code) {
        this.code = code;
    }

    /** The machine-readable code, e.g. {@code bad-signature}. */
    public String code() {
        return code;
    }

    @Override
    public String toString() {
        return code;
    }
}
