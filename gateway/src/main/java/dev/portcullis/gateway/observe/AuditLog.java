package dev.portcullis.gateway.observe;

import static java.util.Objects.requireNonNull;

import dev.portcullis.policy.Decision;
import dev.portcullis.policy.Principal;
import java.net.InetSocketAddress;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One logfmt line per access decision on the logger {@code portcullis.audit}: every denial, and every
 * allow of a caller to a port that is new on its connection (the repeats of a hot keep-alive or
 * HTTP/2 connection are counted in metrics only, see {@link #allowedAgain}). Every decision is
 * counted in metrics. Separate from the access log so that it can be routed and kept
 * on its own terms; like it, it never holds a token or a query string.
 */
public final class AuditLog {
    private static final Logger audit = LoggerFactory.getLogger("portcullis.audit");

    private final GatewayMetrics metrics;
    private final RecentAudit recent = new RecentAudit();
    private final Clock clock;

    public AuditLog(GatewayMetrics metrics) {
        this(metrics, Clock.systemUTC());
    }

    public AuditLog(GatewayMetrics metrics, Clock clock) {
        this.metrics = metrics;
        this.clock = requireNonNull(clock, "clock");
    }

    /** The last lines, for the console's audit page and its live stream. */
    public RecentAudit recent() {
        return recent;
    }

    public void decided(Decision decision, Principal principal, String issuer, String workspace, int port,
                        String method, String path, InetSocketAddress client) {
        metrics.accessDecided(decision.isAllowed(), decision.reasons().get(0));
        write("decision", workspace, null, "event=decision decision=" + (decision.isAllowed() ? "allow" : "deny")
                + " principal=" + principalName(principal) + " issuer=" + value(issuer) + " org=" + value(principal.org())
                + " workspace=" + workspace + " port=" + port + " method=" + method + " path=\"" + quoted(path) + "\""
                + " reasons=" + String.join(",", decision.reasons()) + " client=" + client.getAddress().getHostAddress());
    }

    /**
     * An allow that is not news: the same caller was allowed to the same port on the same connection
     * before, and that allow was written. Counted, not logged, so a hot connection writes one line.
     */
    public void allowedAgain(Decision decision) {
        metrics.accessAllowedUnaudited(decision.reasons().get(0));
    }

    /**
     * What {@link #allowedAgain} counts for {@code decision}, its series looked up now: a connection
     * that reuses an allow counts each repeat with two increments, not a lookup by reason.
     */
    public GatewayMetrics.UnauditedAllow allowedAgainCounter(Decision decision) {
        return metrics.unauditedAllowCounter(decision.reasons().get(0));
    }

    /** An open connection or tunnel was closed because what allowed it no longer does. */
    public void revoked(String reason, Principal principal, String workspace, int port, InetSocketAddress client) {
        metrics.accessRevoked(reason);
        write("revoked", workspace, null, "event=revoked reason=" + reason + " principal=" + principalName(principal)
                + " workspace=" + workspace + " port=" + port + " client="
                + (client == null ? "-" : client.getAddress().getHostAddress()));
    }

    /**
     * A policy or a share was changed through the admin API or the console; {@code revision} is what
     * it wrote. {@code workspace} (a share) or {@code policyOrg} (a policy) says whose it was.
     */
    public void changed(String change, Principal principal, String issuer, String revision, String workspace,
                        String policyOrg) {
        write("change", workspace, policyOrg, "event=change change=\"" + quoted(change) + "\" principal="
                + principalName(principal) + " issuer=" + value(issuer) + " org=" + value(principal.org())
                + " revision=" + revision);
    }

    /** A one-time {@code ?access_token=} was exchanged for the gateway's cookie. */
    public void tokenExchanged(Principal principal, String workspace, int port, InetSocketAddress client) {
        write("token-exchange", workspace, null, "event=token-exchange principal=" + principalName(principal)
                + " workspace=" + workspace + " port=" + port + " client=" + client.getAddress().getHostAddress());
    }

    private void write(String kind, String workspace, String policyOrg, String line) {
        audit.info("{}", line);
        recent.add(clock.instant(), kind, workspace, policyOrg, line);
    }

    private static String principalName(Principal principal) {
        return principal.isAuthenticated() ? quotedIfNeeded(principal.qualifiedId()) : "anonymous";
    }

    private static String value(String value) {
        return value == null ? "-" : quotedIfNeeded(value);
    }

    private static String quotedIfNeeded(String value) {
        String safe = quoted(value);
        return safe.indexOf(' ') >= 0 || safe.indexOf('=') >= 0 || safe.isEmpty() ? "\"" + safe + "\"" : safe;
    }

    /** Claims and paths come from clients: no quotes, control or non-ASCII characters reach the log line. */
    private static String quoted(String value) {
        StringBuilder out = new StringBuilder(Math.min(value.length(), 200));
        for (int i = 0; i < value.length() && i < 200; i++) {
            char c = value.charAt(i);
            out.append(c == '"' || c == '\\' || c < 0x20 || c > 0x7e ? '?' : c);
        }
        return out.toString();
    }
}
