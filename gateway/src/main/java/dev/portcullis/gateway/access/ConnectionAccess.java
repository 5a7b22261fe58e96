package dev.portcullis.gateway.access;

import static java.util.Objects.requireNonNull;

import dev.portcullis.gateway.auth.BearerTokens;
import dev.portcullis.gateway.auth.VerifiedIdentity;
import dev.portcullis.gateway.observe.GatewayMetrics;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.policy.Decision;
import dev.portcullis.policy.Principal;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.FastThreadLocal;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * What one client connection (HTTP/1.1 keep-alive, or HTTP/2 with all its streams) already proved,
 * so that its next request with the same credential costs a comparison instead of a verification:
 * <ul>
 *   <li>the bearer token it presented last (or none) and who that verified as. Reused only for the
 *       very same characters (compared in constant time), before the token's end, and while
 *       {@link OpenGrants#changes()} is what it was when it was verified: an ended session, a policy,
 *       share or route change anywhere drops it at once. A browser session's cookie is looked up on
 *       every request instead (the sessions cache notes its idle time and sees its end at once);</li>
 *   <li>the last allow for that principal: reused for the same workspace, port, method and path,
 *       the same route object and the same access snapshot (any policy or share change publishes a
 *       new one), and the same change count. It is kept in one entry with the token it was proved
 *       with, that token's end and the change count, so the common request reads one object
 *       ({@link #warmAllow});</li>
 *   <li>the (principal, workspace, port) allows already written to the audit log on this connection,
 *       so a hot connection writes one line, not one per request (denials are always written).</li>
 * </ul>
 * Only allows are reused: anything else takes the full check again. Entries are immutable and
 * published through volatile fields, because a verification that waited for an issuer's keys
 * finishes on the verifier's thread rather than the connection's event loop.
 */
public final class ConnectionAccess {
    private static final AttributeKey<ConnectionAccess> KEY = AttributeKey.valueOf("portcullis.connectionAccess");
    // Eight bytes of a byte array as one long, for sameSecret.
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    // Tokens up to this length are compared through the thread's scratch arrays (JWTs are a few hundred
    // characters); longer ones character by character.
    private static final int SCRATCH_BYTES = 4096;
    // Per thread (the event loops, and a verifier's thread when a verification finished there): a
    // FastThreadLocal is an array index on Netty's own threads.
    private static final FastThreadLocal<Scratch> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected Scratch initialValue() {
            return new Scratch();
        }
    };
    // A handful of distinct (principal, workspace, port) per connection is the common case; past it
    // the oldest is forgotten and logged again when it comes back (more lines, never fewer).
    private static final int AUDITED_ALLOWS = 4;

    /**
     * A verified caller (the credential itself is kept apart, see {@link #remember(Known, String)}).
     *
     * @param identity who it verified as, or null for the anonymous caller
     * @param sessionId the browser session it came with, or null
     * @param validUntilMillis when to verify it afresh at the latest (never reused: Long.MIN_VALUE)
     * @param changes {@link OpenGrants#changes()} before it was verified
     * @param user {@code identity}'s qualified name ({@code alice@corp}), made once here rather than
     *             per request; null for the anonymous caller
     */
    public record Known(VerifiedIdentity identity, Principal principal, String sessionId, long validUntilMillis,
                        long changes, String user) {
        public Known {
            requireNonNull(principal, "principal");
        }

        public Known(VerifiedIdentity identity, Principal principal, String sessionId, long validUntilMillis, long changes) {
            this(identity, principal, sessionId, validUntilMillis, changes,
                    identity == null ? null : identity.qualifiedUser());
        }
    }

    /**
     * An allow of {@code method path} (the path as sent) on a port for {@code known}'s principal,
     * decided against {@code route} and {@code snapshot}.
     *
     * @param decidedPath the path the policy decided on and the workspace gets (its normal form)
     * @param assertsIdentity whether the workspace gets the caller's identity assertion (the route asks
     *                        for one and the caller is signed in), decided once with the allow
     * @param verdict what the caller answered for this allow, given again as it is when the allow is
     *                reused (the proxy's verdict, which this package does not know): one object per
     *                decision, not one per request
     * @param counted the counters a reuse increments (the audit log's repeats), looked up with the decision
     */
    public record Allowed(Known known, String workspaceId, int port, String method, String rawPath,
                          WorkspaceRoute route, AccessSnapshot snapshot, Decision decision, String decidedPath,
                          OpenGrants.Grant grant, boolean assertsIdentity, Object verdict,
                          GatewayMetrics.UnauditedAllow counted) {
        public Allowed {
            requireNonNull(verdict, "verdict");
            requireNonNull(counted, "counted");
        }
    }

    /**
     * {@code known} and its credential (Latin-1 only, see {@link #remember(Known, String)}), for a
     * request whose allow is not the one remembered (another path, say): its caller is reused.
     */
    private record Remembered(Known known, String credential) {}

    /**
     * The last allow together with everything a warm request reads: the token it was proved with
     * (null: none), that token's end and the change count, the allow's target, route and snapshot,
     * and what acting on it takes (the decided path, whether the identity assertion is wanted, the
     * counters and the verdict), copied out of {@link #allowed()}. One object, so the common request
     * reads one entry (a cache line or two) instead of the connection's remembered token, then the
     * allow. {@code tokenReused} is false when the caller's credential may not be reused (a cookie, a
     * credential that is not remembered): then the allow is only reused after a full check of it.
     */
    public record Warm(boolean tokenReused, String credential, long validUntilMillis, long changes, int port,
                       WorkspaceRoute route, AccessSnapshot snapshot, String workspaceId, String method, String rawPath,
                       boolean rewritesPath, String decidedPath, boolean assertsIdentity,
                       GatewayMetrics.UnauditedAllow counted, Object verdict, Allowed allowed) {
        Warm(Allowed allowed, boolean tokenReused, String credential) {
            this(tokenReused, credential, allowed.known().validUntilMillis(), allowed.known().changes(), allowed.port(),
                    allowed.route(), allowed.snapshot(), allowed.workspaceId(), allowed.method(), allowed.rawPath(),
                    !allowed.decidedPath().equals(allowed.rawPath()), allowed.decidedPath(), allowed.assertsIdentity(),
                    allowed.counted(), allowed.verdict(), allowed);
        }
    }

    private volatile Remembered known;
    private volatile Warm warm;
    private final String[] auditedAllows = new String[AUDITED_ALLOWS];
    private int nextAudited;

    /** A connection that proved nothing yet; the proxy keeps one per connection ({@link #of}). */
    public ConnectionAccess() {}

    /** The client connection's record (every HTTP/2 stream of it shares it). */
    public static ConnectionAccess of(Channel connection) {
        ConnectionAccess access = connection.attr(KEY).get();
        if (access == null) {
            access = new ConnectionAccess();
            ConnectionAccess raced = connection.attr(KEY).setIfAbsent(access);
            if (raced != null) {
                access = raced;
            }
        }
        return access;
    }

    /**
     * The verified caller for the bearer token {@code credential} (null: none), if this connection
     * proved exactly that credential, it has not expired by {@code nowMillis} and nothing changed
     * since ({@code changes}); otherwise null, and the caller verifies afresh.
     */
    public Known known(String credential, long nowMillis, long changes) {
        Remembered remembered = known; // one read: the caller and its credential must be of the same remember()
        Known last = stillValid(remembered, nowMillis, changes);
        if (last == null) {
            return null;
        }
        String expected = remembered.credential();
        boolean same = expected == null || credential == null ? expected == credential
                : sameSecret(expected, credential, 0, credential.length());
        return same ? last : null;
    }

    /** The remembered caller while nothing changed and its credential has not run out; else null. */
    private static Known stillValid(Remembered remembered, long nowMillis, long changes) {
        if (remembered == null || remembered.known().changes() != changes
            || nowMillis >= remembered.known().validUntilMillis()) {
            return null;
        }
        return remembered.known();
    }

    /**
     * {@code verified} is what this connection proved last, with the bearer token {@code credential}
     * (null: none). The token is kept as it is (the verification already made it a string of its
     * own), not a second copy; one with a character past Latin-1 or a '?' (which a token encoded as
     * bytes once stood for such a character) is never kept, so it is verified on every request.
     */
    public void remember(Known verified, String credential) {
        requireNonNull(verified, "verified");
        known = credential != null && !reusable(credential) ? null : new Remembered(verified, credential);
    }

    /**
     * {@code verified} (with the bearer token {@code credential}, null: none) is what this connection
     * proved last, and {@code decided} the allow to reuse for the same token and target: both in one
     * step, so a warm request finds them in one entry ({@link #warmAllow}).
     */
    public void remember(Known verified, String credential, Allowed decided) {
        requireNonNull(decided, "decided");
        if (decided.known() != verified) {
            throw new IllegalArgumentException("the allow of " + decided.known().user() + " is not for the caller "
                    + verified.user() + " it is remembered with");
        }
        remember(verified, credential);
        boolean tokenReused = known != null && verified.validUntilMillis() != Long.MIN_VALUE;
        warm = new Warm(decided, tokenReused, tokenReused ? credential : null);
    }

    /**
     * The common request of a keep-alive connection or HTTP/2 stream in one look: the allow remembered
     * last, if this request presents the very same bearer token in {@code authorization} (null: none;
     * compared in constant time where it stands, no copy) or again none, before the token's end
     * ({@code nowMillis}), with the change count still {@code changes}, for the same route object,
     * access snapshot, workspace, port, method and path (the start of {@code target} up to
     * {@code pathEnd}). Otherwise null, and the caller checks the request in full.
     */
    public Warm warmAllow(CharSequence authorization, long nowMillis, long changes, String workspaceId, int port,
                          String method, String target, int pathEnd, WorkspaceRoute route, AccessSnapshot snapshot) {
        Warm last = warm;
        if (last == null || !last.tokenReused() || last.changes() != changes || nowMillis >= last.validUntilMillis()
            || !sameTarget(last, workspaceId, port, method, target, pathEnd, route, snapshot)) {
            return null;
        }
        int start = BearerTokens.tokenStart(authorization);
        boolean same = start < 0 ? last.credential() == null
                : sameSecret(last.credential(), authorization, start, BearerTokens.tokenEnd(authorization));
        return same ? last : null;
    }

    private static boolean reusable(String credential) {
        for (int i = 0; i < credential.length(); i++) {
            char c = credential.charAt(i);
            if (c > 0xFF || c == '?') {
                return false;
            }
        }
        return true;
    }

    /**
     * The allow decided for exactly this request's target, or null when it has to be decided. The
     * path is the start of {@code target} up to {@code pathEnd} (the query's '?', or its length),
     * compared where it stands: a request with a query string copies nothing for it.
     */
    public Allowed allowed(Known caller, String workspaceId, int port, String method, String target, int pathEnd,
                           WorkspaceRoute route, AccessSnapshot snapshot) {
        Warm last = warm;
        if (last == null || last.allowed().known() != caller
            || !sameTarget(last, workspaceId, port, method, target, pathEnd, route, snapshot)) {
            return null;
        }
        return last.allowed();
    }

    /** Whether {@code last} was allowed for this very route object, snapshot, workspace, port, method and path. */
    private static boolean sameTarget(Warm last, String workspaceId, int port, String method, String target, int pathEnd,
                                      WorkspaceRoute route, AccessSnapshot snapshot) {
        return last.route() == route && last.snapshot() == snapshot && last.port() == port
                && last.workspaceId().equals(workspaceId) && last.method().equals(method)
                && last.rawPath().length() == pathEnd && target.startsWith(last.rawPath());
    }

    /**
     * {@code decided} is the allow to reuse for the same request target, once its caller is proved
     * again ({@link #allowed}); without a token to compare, {@link #warmAllow} never returns it.
     */
    public void remember(Allowed decided) {
        warm = new Warm(requireNonNull(decided, "decided"), false, null);
    }

    /**
     * Whether an allow of {@code principal} (from {@code issuer}) on this port is news on this
     * connection and goes to the audit log; false when it was written already.
     */
    public synchronized boolean firstAllow(Principal principal, String issuer, String workspaceId, int port) {
        String key = (principal.isAuthenticated() ? issuer + "\n" + principal.userId() : "\nanonymous")
                + "\n" + workspaceId + "\n" + port;
        for (String audited : auditedAllows) {
            if (key.equals(audited)) {
                return false;
            }
        }
        auditedAllows[nextAudited] = key;
        nextAudited = (nextAudited + 1) % AUDITED_ALLOWS;
        return true;
    }

    /**
     * Whether the characters {@code start..end} of {@code presented} are exactly {@code expected} (a
     * Latin-1 string), compared in time that depends only on the length, so a client cannot learn a
     * remembered token character by character. Hand-written: the JDK's
     * constant-time compare ({@code MessageDigest.isEqual}) needs both as byte arrays, and copying
     * the presented token out of its header on every request is what this avoids. A string is
     * copied into this thread's scratch arrays instead (the JDK's array copy, then eight bytes at a
     * time: a token of 300 characters in some 30 ns, against ten times that for a loop over
     * {@code charAt}); the copy keeps each character's low byte, so equal bytes are confirmed by an
     * exact comparison of the characters, which can end early only once every byte matched already.
     */
    @SuppressWarnings("deprecation") // String.getBytes(int, int, byte[], int): the low byte of each character, on purpose
    static boolean sameSecret(String expected, CharSequence presented, int start, int end) {
        int length = end - start;
        if (expected == null || expected.length() != length) {
            return false;
        }
        if (presented instanceof String text && length <= SCRATCH_BYTES) {
            Scratch scratch = SCRATCH.get();
            expected.getBytes(0, length, scratch.expected, 0);
            text.getBytes(start, end, scratch.presented, 0);
            long difference = 0;
            int i = 0;
            for (; i <= length - Long.BYTES; i += Long.BYTES) {
                difference |= (long) LONGS.get(scratch.expected, i) ^ (long) LONGS.get(scratch.presented, i);
            }
            for (; i < length; i++) {
                difference |= scratch.expected[i] ^ scratch.presented[i];
            }
            return difference == 0 && text.regionMatches(start, expected, 0, length);
        }
        int difference = 0;
        for (int i = 0; i < length; i++) {
            difference |= expected.charAt(i) ^ presented.charAt(start + i);
        }
        return difference == 0;
    }

    /** A thread's two arrays for {@link #sameSecret(String, CharSequence, int, int)}: nothing allocated per request. */
    private static final class Scratch {
        final byte[] expected = new byte[SCRATCH_BYTES];
        final byte[] presented = new byte[SCRATCH_BYTES];
    }
}
