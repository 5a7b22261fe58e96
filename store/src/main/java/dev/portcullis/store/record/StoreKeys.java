package dev.portcullis.store.record;

import static java.util.Objects.requireNonNull;

/**
 * The key layout. The version is in the path so a future format lives beside this one and a
 * gateway that only knows v1 never reads it.
 */
public final class StoreKeys {

    public static final String ROOT = "/portcullis/v1/";
    public static final String ROUTES = ROOT + "routes/";
    public static final String SHARES = ROOT + "shares/";
    public static final String POLICIES = ROOT + "policies/";

    private StoreKeys() {}

    public static String route(String workspaceId) {
        return ROUTES + requireNonNull(workspaceId, "workspaceId");
    }

    /** The prefix of every share of one workspace. */
    public static String shares(String workspaceId) {
        return SHARES + requireNonNull(workspaceId, "workspaceId") + '/';
    }

    public static String share(String workspaceId, int port) {
        return shares(workspaceId) + port;
    }

    public static String policy(String org) {
        return POLICIES + requireNonNull(org, "org");
    }

    /** What a key names. {@code port} is 0 except for shares. */
    public record ParsedKey(Kind kind, String id, int port) {
        public enum Kind { ROUTE, SHARE, POLICY }
    }

    /**
     * @throws InvalidRecordException when {@code key} is not a route, share or policy key of this version
     */
    public static ParsedKey parse(String key) {
        requireNonNull(key, "key");
        if (key.startsWith(ROUTES) && key.indexOf('/', ROUTES.length()) < 0 && key.length() > ROUTES.length()) {
            return new ParsedKey(ParsedKey.Kind.ROUTE, key.substring(ROUTES.length()), 0);
        }
        if (key.startsWith(POLICIES) && key.indexOf('/', POLICIES.length()) < 0 && key.length() > POLICIES.length()) {
            return new ParsedKey(ParsedKey.Kind.POLICY, key.substring(POLICIES.length()), 0);
        }
        if (key.startsWith(SHARES)) {
            String rest = key.substring(SHARES.length());
            int slash = rest.indexOf('/');
            if (slash > 0 && rest.indexOf('/', slash + 1) < 0) {
                String port = rest.substring(slash + 1);
                if (port.matches("[1-9][0-9]{0,4}") && Integer.parseInt(port) <= 65535) {
                    return new ParsedKey(ParsedKey.Kind.SHARE, rest.substring(0, slash), Integer.parseInt(port));
                }
            }
        }
        throw new InvalidRecordException(key + ": not a key Portcullis knows (expected: " + ROUTES + "<workspace>, "
                + SHARES + "<workspace>/<port> or " + POLICIES + "<org>)");
    }
}
