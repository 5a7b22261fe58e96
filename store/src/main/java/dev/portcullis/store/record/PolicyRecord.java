package dev.portcullis.store.record;

import static java.util.Objects.requireNonNull;

import dev.portcullis.policy.OrgPolicy;
import dev.portcullis.policy.parse.ParseResult;
import dev.portcullis.policy.parse.PolicyError;
import dev.portcullis.policy.parse.PolicyParser;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * An organization's policy document as its admins wrote it (YAML or JSON), and what the policy
 * parser made of it. The text is kept so {@code explain} and admins see what was applied.
 */
public record PolicyRecord(String org, String document, OrgPolicy policy) implements StoreRecord {

    private static final Pattern ORG = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    public PolicyRecord {
        requireNonNull(document, "document");
        requireNonNull(policy, "policy");
        checkOrg(org);
    }

    /**
     * Parses {@code document} with the policy module's parser.
     *
     * @throws InvalidRecordException listing every error with its line, or when the document names another org
     */
    public static PolicyRecord parse(String org, String document) {
        checkOrg(org);
        requireNonNull(document, "document");
        ParseResult<OrgPolicy> result = new PolicyParser().parsePolicy("policy of " + org, document);
        if (!result.isSuccess()) {
            throw new InvalidRecordException("policy of " + org + " is not valid:\n" + result.errors().stream()
                    .map(PolicyError::toString).collect(Collectors.joining("\n")));
        }
        OrgPolicy policy = result.orElseThrow();
        if (policy.org() != null && !policy.org().equals(org)) {
            throw new InvalidRecordException("policy of " + org + ": the document says org: " + policy.org()
                    + " (expected: " + org + ", the org it is stored for)");
        }
        return new PolicyRecord(org, document, policy);
    }

    private static void checkOrg(String org) {
        if (org == null || !ORG.matcher(org).matches()) {
            throw new InvalidRecordException("org: " + (org == null ? "missing" : "'" + RouteRecord.abbreviate(org) + "'")
                    + " (expected: 1-128 of letters, digits and ._-, starting with a letter or digit)");
        }
    }

    @Override
    public String key() {
        return StoreKeys.policy(org);
    }
}
