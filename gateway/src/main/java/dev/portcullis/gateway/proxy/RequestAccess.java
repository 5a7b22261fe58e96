package dev.portcullis.gateway.proxy;

import dev.portcullis.gateway.access.AccessControl;
import dev.portcullis.gateway.access.AccessSnapshot;
import dev.portcullis.gateway.access.IdentityAssertions;
import dev.portcullis.gateway.access.OpenGrants;
import dev.portcullis.gateway.access.Principals;
import dev.portcullis.gateway.auth.TokenRejectedException;
import dev.portcullis.gateway.auth.VerifiedIdentity;
import dev.portcullis.gateway.isolation.CrossOriginRule;
import dev.portcullis.gateway.route.PortHost;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.policy.Decision;
import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.Principal;
import dev.portcullis.policy.ReasonCodes;
import dev.portcullis.policy.RequestPaths;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * Access control for one request head, apart from the channel: who is asking (bearer, then the
 * gateway cookie, or a one-time {@code ?access_token=} to exchange), then what the policy says,
 * with the audit line written. The proxy handler only acts on the {@link Verdict}. The gateway's
 * credentials are taken off the forwarded head here, so they never reach the workspace.
 */
final class RequestAccess {
    // Browsers keep cookies up to about 4 KiB, name and attributes included.
    private static final int MAX_COOKIE_TOKEN = 3800;
    // The route went away between routing and the end of token verification.
    private static final Decision WORKSPACE_GONE = Decision.deny("workspace-deleted");
    private static final Decision CROSS_ORIGIN = Decision.deny(CrossOriginRule.REASON);
    private static final Decision PATH_AMBIGUOUS = Decision.deny(ReasonCodes.PATH_AMBIGUOUS);

    private RequestAccess() {}

    sealed interface Verdict {}

    /** Go on to the workspace; the channel now serves under {@code grant}. */
    record Allowed(String user, OpenGrants.Grant grant) implements Verdict {}

    /**
     * The gateway answers {@code error}.
     *
     * @param user the verified user, or null
     * @param reasons the policy's reason codes, listed in the answer
     * @param clearCookie whether the answer expires the gateway's cookie (it no longer verifies)
     */
    record Refused(String user, ProxyError error, String detail, List<String> reasons, boolean clearCookie)
            implements Verdict {
        Refused(ProxyError error, String detail) {
            this(null, error, detail, List.of(), false);
        }
    }

    /** A URL token became the cookie: answer 303 to {@code location}, setting {@code cookie}. */
    record TokenExchanged(String user, String location, String cookie) implements Verdict {}

    /** A CORS preflight to a port the anonymous caller may not reach (see docs/security.md). */
    record PreflightRefused() implements Verdict {}

    /**
     * The verdict on {@code request}; {@code forwarded} is its copy for the workspace, which loses the
     * gateway's credentials and gains the identity assertion when the route asks for one. Completes at
     * once when no issuer's keys have to be fetched (a token in the cache, or none); never fails.
     */
    static CompletableFuture<Verdict> check(AccessControl access, HttpRequest request, HttpRequest forwarded,
                                            PortHost.WorkspacePort target, Supplier<RouteTable> routes,
                                            InetSocketAddress client) {
        GatewayCredentials credentials = GatewayCredentials.take(request, forwarded);
        CompletableFuture<Verdict> verdict;
        if (credentials.queryToken() != null) {
            verdict = exchangeQueryToken(access, request, credentials, target, client);
        } else {
            CompletableFuture<VerifiedIdentity> bearer = verify(access, credentials.bearer());
            CompletableFuture<VerifiedIdentity> cookie = verify(access, credentials.cookie());
            verdict = CompletableFuture.allOf(bearer, cookie).handle((ignored, failure) -> {
                Throwable bearerFailure = failureOf(bearer);
                if (bearerFailure != null) {
                    return new Refused(ProxyError.UNAUTHENTICATED, refusal("The bearer token", bearerFailure));
                }
                Throwable cookieFailure = failureOf(cookie);
                if (cookieFailure != null && credentials.bearer() == null) {
                    // A stale cookie (the token in it expired, say): the browser is asked to sign in again.
                    return new Refused(null, ProxyError.UNAUTHENTICATED, refusal("The sign-in cookie", cookieFailure),
                            List.of(), true);
                }
                VerifiedIdentity fromBearer = bearer.getNow(null);
                VerifiedIdentity fromCookie = cookieFailure == null ? cookie.getNow(null) : null;
                if (fromBearer != null && fromCookie != null && !sameSubject(fromBearer, fromCookie)) {
                    return new Refused(ProxyError.CREDENTIAL_CONFLICT,
                            "The bearer token and the sign-in cookie are for different users; send one of them.");
                }
                if (fromBearer == null && fromCookie != null) {
                    Refused crossOrigin = refuseCrossOrigin(access, request, target, client, fromCookie);
                    if (crossOrigin != null) {
                        return crossOrigin;
                    }
                }
                return decide(access, forwarded, target, routes.get(), client, fromBearer != null ? fromBearer : fromCookie);
            });
        }
        return verdict.exceptionally(failure -> new Refused(ProxyError.UNAUTHENTICATED, "The request could not be checked."));
    }

    private static Verdict decide(AccessControl access, HttpRequest forwarded, PortHost.WorkspacePort target,
                                  RouteTable routes, InetSocketAddress client, VerifiedIdentity identity) {
        Principal principal = identity == null ? Principal.anonymous() : Principals.of(identity);
        String user = identity == null ? null : identity.user();
        String method = forwarded.method().name();
        WorkspaceRoute route = routes.lookup(target.workspaceId());
        String uri = forwarded.uri();
        int queryStart = uri.indexOf('?');
        String rawPath = queryStart < 0 ? uri : uri.substring(0, queryStart);
        AccessSnapshot snapshot = access.access().get();
        RequestPaths.Outcome decidedPath = route == null ? new RequestPaths.Decided(rawPath)
                : snapshot.pathFor(route, target.port(), rawPath);
        if (decidedPath instanceof RequestPaths.Refused refused) {
            access.audit().decided(PATH_AMBIGUOUS, principal, identity == null ? null : identity.issuer(),
                    target.workspaceId(), target.port(), method, rawPath, client);
            return new Refused(user, ProxyError.AMBIGUOUS_PATH, "Port " + target.port() + " of workspace '"
                    + target.workspaceId() + "' has path rules, and this path has " + refused.reason()
                    + "; send the plain path (docs/policy.md lists the refused forms).",
                    PATH_AMBIGUOUS.reasons(), false);
        }
        // The workspace gets exactly the path that was decided on, never the raw one.
        String path = ((RequestPaths.Decided) decidedPath).path();
        if (!path.equals(rawPath)) {
            forwarded.setUri(queryStart < 0 ? path : path + uri.substring(queryStart));
        }
        Decision decision = route == null ? WORKSPACE_GONE
                : snapshot.decide(principal, route, target.port(), method, path);
        access.audit().decided(decision, principal, identity == null ? null : identity.issuer(), target.workspaceId(),
                target.port(), method, path, client);
        if (decision.isAllowed()) {
            if (identity != null && IdentityAssertions.wantedBy(route)) {
                forwarded.headers().set(IdentityAssertions.HEADER,
                        access.assertions().assertionFor(identity, target.hostName()));
            }
            return new Allowed(user, new OpenGrants.Grant(principal,
                    identity == null ? OpenGrants.noExpiry() : identity.expiresAt(), target.workspaceId(), target.port(),
                    method, path));
        }
        if (principal.isAuthenticated()) {
            return new Refused(user, ProxyError.FORBIDDEN, "You (" + user + ") may not reach port " + target.port()
                    + " of workspace '" + target.workspaceId() + "': " + String.join(", ", decision.reasons()) + ".",
                    decision.reasons(), false);
        }
        if (isCorsPreflight(forwarded)) {
            return new PreflightRefused();
        }
        return new Refused(null, ProxyError.UNAUTHENTICATED, "Port " + target.port() + " of workspace '"
                + target.workspaceId() + "' is not public: sign in with a token (send 'Authorization: Bearer <JWT>',"
                + " or open this URL once with '?access_token=<JWT>' in a browser).", decision.reasons(), false);
    }

    /**
     * A cookie-authenticated unsafe request or upgrade from another origin than the port's own (or
     * one its share allows) is refused before the policy is asked (see {@link CrossOriginRule});
     * null when it may go on.
     */
    private static Refused refuseCrossOrigin(AccessControl access, HttpRequest request, PortHost.WorkspacePort target,
                                             InetSocketAddress client, VerifiedIdentity identity) {
        if (!CrossOriginRule.needsSameOrigin(request)) {
            return null;
        }
        PortShare share = access.access().get().sharesOf(target.workspaceId()).forPort(target.port());
        String refusal = CrossOriginRule.refusal(request, request.headers().get(HttpHeaderNames.HOST), share);
        if (refusal == null) {
            return null;
        }
        access.audit().decided(CROSS_ORIGIN, Principals.of(identity), identity.issuer(), target.workspaceId(),
                target.port(), request.method().name(), new QueryStringDecoder(request.uri()).rawPath(), client);
        return new Refused(identity.user(), ProxyError.FORBIDDEN, refusal, CROSS_ORIGIN.reasons(), false);
    }

    /**
     * A browser opened the URL with {@code ?access_token=}: the token becomes the gateway's cookie for
     * this host only, and the browser is sent to the same URL without it, so the token stays out of
     * the workspace, the history and the logs. It works once per host.
     */
    private static CompletableFuture<Verdict> exchangeQueryToken(AccessControl access, HttpRequest request,
                                                                 GatewayCredentials credentials,
                                                                 PortHost.WorkspacePort target, InetSocketAddress client) {
        String token = credentials.queryToken();
        if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
            return CompletableFuture.completedFuture(new Refused(ProxyError.QUERY_TOKEN_NOT_ALLOWED, "'"
                    + GatewayCredentials.QUERY_PARAMETER + "' in the URL is accepted only when a browser opens a page"
                    + " (GET); send 'Authorization: Bearer <JWT>'."));
        }
        if (token.length() > MAX_COOKIE_TOKEN) {
            return CompletableFuture.completedFuture(new Refused(ProxyError.QUERY_TOKEN_NOT_ALLOWED,
                    "The token is too large for a cookie (" + token.length() + " characters, at most " + MAX_COOKIE_TOKEN
                    + "); send it as 'Authorization: Bearer <JWT>'."));
        }
        return access.identity().verifyAsync(token).handle((identity, failure) -> {
            if (failure != null) {
                return new Refused(ProxyError.UNAUTHENTICATED, refusal("The token in the URL", failure));
            }
            String host = target.hostName();
            if (!access.oneTimeTokens().firstUse(token, host, identity.expiresAt())) {
                return new Refused(identity.user(), ProxyError.QUERY_TOKEN_REUSED, "This URL's access token was already"
                        + " used on " + host + "; open the URL without it (the cookie it set still works) or mint a new"
                        + " token.", List.of(), false);
            }
            access.audit().tokenExchanged(Principals.of(identity), target.workspaceId(), target.port(), client);
            long maxAge = Math.max(1, Duration.between(Instant.now(), identity.expiresAt()).getSeconds());
            return new TokenExchanged(identity.user(), credentials.uriWithoutQueryToken(), AccessControl.COOKIE + "="
                    + token + "; Path=/; Max-Age=" + maxAge + "; Secure; HttpOnly; SameSite=Lax");
        });
    }

    /** A browser's CORS preflight: it never carries credentials, so it is decided as the anonymous caller. */
    private static boolean isCorsPreflight(HttpRequest request) {
        return request.method() == HttpMethod.OPTIONS && request.headers().contains(HttpHeaderNames.ORIGIN)
               && request.headers().contains(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD);
    }

    private static CompletableFuture<VerifiedIdentity> verify(AccessControl access, String token) {
        return token == null ? CompletableFuture.completedFuture(null) : access.identity().verifyAsync(token);
    }

    private static Throwable failureOf(CompletableFuture<VerifiedIdentity> verification) {
        if (!verification.isCompletedExceptionally()) {
            return null;
        }
        try {
            verification.join();
            return null;
        } catch (CompletionException e) {
            return e.getCause();
        }
    }

    private static String refusal(String what, Throwable failure) {
        Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
        return cause instanceof TokenRejectedException rejected
               ? what + " was refused (" + rejected.reason().code() + ")."
               : what + " could not be checked.";
    }

    private static boolean sameSubject(VerifiedIdentity a, VerifiedIdentity b) {
        return a.issuer().equals(b.issuer()) && a.user().equals(b.user());
    }
}
