package dev.portcullis.gateway.proxy;

import dev.portcullis.gateway.access.AccessControl;
import dev.portcullis.gateway.access.AccessSnapshot;
import dev.portcullis.gateway.access.ConnectionAccess;
import dev.portcullis.gateway.access.IdentityAssertions;
import dev.portcullis.gateway.access.OpenGrants;
import dev.portcullis.gateway.access.Principals;
import dev.portcullis.gateway.auth.BearerTokens;
import dev.portcullis.gateway.auth.TokenRejectedException;
import dev.portcullis.gateway.auth.VerifiedIdentity;
import dev.portcullis.gateway.isolation.CrossOriginRule;
import dev.portcullis.gateway.route.PortHost;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.gateway.signin.SignInSettings;
import dev.portcullis.gateway.signin.Sessions;
import dev.portcullis.policy.Decision;
import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.Principal;
import dev.portcullis.policy.ReasonCodes;
import dev.portcullis.policy.RequestPaths;
import dev.portcullis.store.signin.SessionRecord;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Access control for one request head, apart from the channel: who is asking (bearer, then the
 * gateway cookie's session, or a one-time {@code ?access_token=} to exchange), then what the policy
 * says, with the audit line written. The proxy handler only acts on the {@link Verdict}. The
 * gateway's credentials are taken off the forwarded head here, so they never reach the workspace.
 */
public final class RequestAccess {
    private static final String SEC_FETCH_DEST = "sec-fetch-dest";
    private static final String SEC_FETCH_MODE = "sec-fetch-mode";
    private static final String SEC_FETCH_SITE = "sec-fetch-site";
    // A session reference is 43 characters; anything much longer is not one of ours.
    private static final int MAX_REFERENCE = 100;
    // The route went away between routing and the end of token verification.
    private static final Decision WORKSPACE_GONE = Decision.deny("workspace-deleted");
    private static final Decision CROSS_ORIGIN = Decision.deny(CrossOriginRule.REASON);
    private static final Decision PATH_AMBIGUOUS = Decision.deny(ReasonCodes.PATH_AMBIGUOUS);

    private RequestAccess() {}

    /** What the proxy does with the request (public for the access benchmark in loadtest/). */
    public sealed interface Verdict {}

    /**
     * Go on to the workspace; the channel now serves under {@code grant}. One verdict per decision,
     * given again to the connection's next requests while the allow is reused; {@code registration}
     * is where {@link AccessStage} notes what it registered the grant for.
     */
    record Allowed(String user, OpenGrants.Grant grant, GrantRegistration registration) implements Verdict {
        Allowed(String user, OpenGrants.Grant grant) {
            this(user, grant, new GrantRegistration());
        }
    }

    /**
     * The gateway answers {@code error}.
     *
     * @param user the verified user, or null
     * @param reasons the policy's reason codes, listed in the answer
     * @param clearCookie whether the answer expires the gateway's cookie (its session ended)
     */
    record Refused(String user, ProxyError error, String detail, List<String> reasons, boolean clearCookie)
            implements Verdict {
        Refused(ProxyError error, String detail) {
            this(null, error, detail, List.of(), false);
        }
    }

    /** A URL token became a session: answer 303 to {@code location}, setting {@code cookie}. */
    record TokenExchanged(String user, String location, String cookie) implements Verdict {}

    /**
     * A browser navigation without a usable sign-in to a port it may not reach anonymously: 303 to
     * the login host ({@code location}); {@code clearCookie} when its cookie named a session that ended.
     */
    record SignInRequired(String location, boolean clearCookie) implements Verdict {}

    /** A CORS preflight to a port the anonymous caller may not reach (see docs/security.md). */
    record PreflightRefused() implements Verdict {}

    /**
     * The verdict on {@code request}; {@code forwarded} is its copy for the workspace, which loses the
     * gateway's credentials and gains the identity assertion when the route asks for one. Returned at
     * once when nothing has to be fetched: the same credential and target as an earlier allowed
     * request of this {@code connection} (no verification, no decision, see {@link ConnectionAccess}),
     * a token or a session in the cache, or neither. Otherwise null, and {@code later} gets the
     * verdict on whatever thread finished it. Never fails.
     */
    public static Verdict check(AccessControl access, ConnectionAccess connection, HttpRequest request,
                                HttpRequest forwarded, PortHost.WorkspacePort target, Supplier<RouteTable> routes,
                                InetSocketAddress client, Consumer<Verdict> later) {
        Verdict reused = onWarmConnection(access, connection, request, forwarded, target, routes);
        if (reused != null) {
            return reused;
        }
        GatewayCredentials credentials = GatewayCredentials.take(request, forwarded);
        long changes = access.grants().changes(); // before anything is verified: a change meanwhile counts
        ConnectionAccess.Known known = knownCaller(access, connection, credentials, changes);
        if (known != null) {
            Verdict warm = reuseAllow(access, connection, known, forwarded, target, routes.get());
            return warm != null ? warm : decide(access, connection, known, credentials.bearer(), request, forwarded,
                    target, routes.get(), client);
        }
        CompletableFuture<Verdict> verdict = verifyThenDecide(access, connection, changes, request, forwarded,
                credentials, target, routes, client)
                .exceptionally(failure -> new Refused(ProxyError.UNAUTHENTICATED, "The request could not be checked."));
        if (verdict.isDone()) {
            return verdict.join();
        }
        verdict.thenAccept(later);
        return null;
    }

    /**
     * The common case of a keep-alive connection or HTTP/2 stream: the same bearer token (or none) as
     * the connection's last verified request, no cookie and no {@code ?access_token=}, the same target,
     * and nothing changed since (route, policy, share, session: {@link OpenGrants#changes()}, the route
     * object and the access snapshot), before the token's end. Then the allow is reused: the token is
     * compared where it stands in the {@code Authorization} value and taken off {@code forwarded}; no
     * copy of it, no string built, no verification, no decision, no audit line (counted). Everything
     * compared is in one entry of the connection's record ({@link ConnectionAccess#warmAllow}). Null
     * when anything differs: the whole check runs, as for a new connection.
     */
    private static Verdict onWarmConnection(AccessControl access, ConnectionAccess connection, HttpRequest request,
                                            HttpRequest forwarded, PortHost.WorkspacePort target,
                                            Supplier<RouteTable> routes) {
        if (GatewayCredentials.mayCarryMore(forwarded)) {
            return null;
        }
        WorkspaceRoute route = routes.get().lookup(target.workspaceId());
        if (route == null) {
            return null;
        }
        String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        OpenGrants grants = access.grants();
        String uri = forwarded.uri();
        int queryStart = uri.indexOf('?');
        ConnectionAccess.Warm warm = connection.warmAllow(authorization, grants.nowMillis(), grants.changes(),
                target.workspaceId(), target.port(), forwarded.method().name(), uri,
                queryStart < 0 ? uri.length() : queryStart, route, access.access().get());
        if (warm == null) {
            return null;
        }
        if (BearerTokens.tokenStart(authorization) >= 0) {
            forwarded.headers().remove(HttpHeaderNames.AUTHORIZATION);
        }
        // As applied(...) below, from the same entry (nothing else of the allow is read).
        if (warm.rewritesPath()) {
            forwarded.setUri(queryStart < 0 ? warm.decidedPath() : warm.decidedPath() + uri.substring(queryStart));
        }
        if (warm.assertsIdentity()) {
            forwarded.headers().set(IdentityAssertions.HEADER, access.assertions().assertionFor(
                    warm.allowed().known().identity(), target.hostName()));
        }
        warm.counted().count();
        return (Allowed) warm.verdict();
    }

    /**
     * Who the caller is, when this connection already proved exactly the bearer token it presents
     * now (or the caller presents none, again) and nothing changed since; otherwise null.
     */
    private static ConnectionAccess.Known knownCaller(AccessControl access, ConnectionAccess connection,
                                                      GatewayCredentials credentials, long changes) {
        if (credentials.queryToken() != null || credentials.cookie() != null) {
            return null;
        }
        return connection.known(credentials.bearer(), access.grants().nowMillis(), changes);
    }

    /**
     * The allow this connection got for the same target, decided against the same route and access
     * snapshot: the decided path and the identity assertion are applied to {@code forwarded} as then.
     * Null when the target or anything the decision read changed.
     */
    private static Verdict reuseAllow(AccessControl access, ConnectionAccess connection, ConnectionAccess.Known known,
                                      HttpRequest forwarded, PortHost.WorkspacePort target, RouteTable routes) {
        WorkspaceRoute route = routes.lookup(target.workspaceId());
        if (route == null) {
            return null;
        }
        String uri = forwarded.uri();
        int queryStart = uri.indexOf('?');
        int pathEnd = queryStart < 0 ? uri.length() : queryStart;
        ConnectionAccess.Allowed allowed = connection.allowed(known, target.workspaceId(), target.port(),
                forwarded.method().name(), uri, pathEnd, route, access.access().get());
        return allowed == null ? null : applied(access, allowed, forwarded, target, uri, queryStart);
    }

    /**
     * A reused allow acted on as when it was decided: the decided path and the identity assertion
     * applied to {@code forwarded} ({@code uri} its target, the query at {@code queryStart}), the
     * repeat counted, and the verdict made then given again.
     */
    private static Verdict applied(AccessControl access, ConnectionAccess.Allowed allowed, HttpRequest forwarded,
                                   PortHost.WorkspacePort target, String uri, int queryStart) {
        if (!allowed.decidedPath().equals(allowed.rawPath())) { // the same path as then: rawPath is this request's
            forwarded.setUri(queryStart < 0 ? allowed.decidedPath() : allowed.decidedPath() + uri.substring(queryStart));
        }
        if (allowed.assertsIdentity()) { // decided with the allow: the same route and caller
            forwarded.headers().set(IdentityAssertions.HEADER, access.assertions().assertionFor(
                    allowed.known().identity(), target.hostName()));
        }
        allowed.counted().count();
        return (Allowed) allowed.verdict(); // the verdict made when it was decided: nothing made per request
    }

    private static void assertIdentity(AccessControl access, HttpRequest forwarded, PortHost.WorkspacePort target,
                                       WorkspaceRoute route, VerifiedIdentity identity) {
        if (identity != null && IdentityAssertions.wantedBy(route)) {
            forwarded.headers().set(IdentityAssertions.HEADER, access.assertions().assertionFor(identity, target.hostName()));
        }
    }

    private static CompletableFuture<Verdict> verifyThenDecide(AccessControl access, ConnectionAccess connection,
                                                               long changes, HttpRequest request, HttpRequest forwarded,
                                                               GatewayCredentials credentials,
                                                               PortHost.WorkspacePort target, Supplier<RouteTable> routes,
                                                               InetSocketAddress client) {
        if (credentials.queryToken() != null) {
            return exchangeQueryToken(access, request, forwarded, credentials, target, routes, client);
        }
        CompletableFuture<VerifiedIdentity> bearer = verify(access, credentials.bearer());
        CompletableFuture<Optional<SessionRecord>> cookie = session(access, credentials.cookie());
        return CompletableFuture.allOf(bearer, cookie).handle((ignored, failure) -> {
            Throwable bearerFailure = failureOf(bearer);
            if (bearerFailure != null) {
                return new Refused(ProxyError.UNAUTHENTICATED, refusal("The bearer token", bearerFailure));
            }
            Optional<SessionRecord> session = cookie.isCompletedExceptionally() ? Optional.empty() : cookie.join();
            VerifiedIdentity fromBearer = bearer.getNow(null);
            VerifiedIdentity fromCookie = session.map(access.sessions()::identityOf).orElse(null);
            if (credentials.cookie() != null && session.isEmpty() && fromBearer == null) {
                // The session ended (signed out, expired, revoked): the browser is asked to sign in again.
                if (isNavigation(request) && access.signIn().isPresent()) {
                    return new SignInRequired(access.signIn().get().loginRedirect(target, request), true);
                }
                return new Refused(null, ProxyError.UNAUTHENTICATED, "The sign-in cookie names a session that has"
                        + " ended; sign in again.", List.of(), true);
            }
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
            String sessionId = fromBearer == null ? session.map(SessionRecord::id).orElse(null) : null;
            VerifiedIdentity identity = fromBearer != null ? fromBearer : fromCookie;
            return decide(access, connection, provenCaller(access, credentials, identity, sessionId, changes),
                    credentials.bearer(), request, forwarded, target, routes.get(), client);
        });
    }

    /**
     * What this verification proved, to be reused by the connection's next requests until the token
     * expires, and no longer than the verifier keeps a verified token without checking it again
     * ({@code identity.cacheMaxTtl}: a key the issuer dropped ends it as soon as before). A browser session is not reused: it is looked up on every request (a hash and a cache
     * read), which notes its idle time, sees a renewal, and sees an end on this gateway at once; nor
     * are two credentials at once (their subjects are compared every time).
     */
    private static ConnectionAccess.Known provenCaller(AccessControl access, GatewayCredentials credentials,
                                                       VerifiedIdentity identity, String sessionId, long changes) {
        Principal principal = identity == null ? Principal.anonymous() : Principals.of(identity);
        if (credentials.cookie() != null) {
            return new ConnectionAccess.Known(identity, principal, sessionId, Long.MIN_VALUE, changes);
        }
        long validUntil = identity == null ? Long.MAX_VALUE : Math.min(millis(identity.expiresAt()),
                access.grants().nowMillis() + access.identity().config().cacheMaxTtl().toMillis());
        return new ConnectionAccess.Known(identity, principal, sessionId, validUntil, changes);
    }

    private static long millis(Instant instant) {
        return instant.isAfter(Instant.ofEpochMilli(Long.MAX_VALUE)) ? Long.MAX_VALUE : instant.toEpochMilli();
    }

    /**
     * The policy's decision on a request and the path it was decided on; {@code ambiguity} says why the
     * path itself was refused (a form servers read differently, on a port with path rules).
     */
    private record Checked(Decision decision, String path, String ambiguity) {}

    /**
     * Decides on the normal form of the path, once, and writes exactly that path into
     * {@code forwarded}, so the workspace never gets a path other than the one that was decided on.
     */
    private static Checked decision(HttpRequest forwarded, PortHost.WorkspacePort target, WorkspaceRoute route,
                                    AccessSnapshot snapshot, Principal principal) {
        String uri = forwarded.uri();
        int queryStart = uri.indexOf('?');
        String rawPath = rawPathOf(uri);
        if (route == null) {
            return new Checked(WORKSPACE_GONE, rawPath, null);
        }
        RequestPaths.Outcome outcome = snapshot.pathFor(route, target.port(), rawPath);
        if (outcome instanceof RequestPaths.Refused refused) {
            return new Checked(PATH_AMBIGUOUS, rawPath, refused.reason());
        }
        String path = ((RequestPaths.Decided) outcome).path();
        if (!path.equals(rawPath)) {
            forwarded.setUri(queryStart < 0 ? path : path + uri.substring(queryStart));
        }
        return new Checked(snapshot.decide(principal, route, target.port(), forwarded.method().name(), path), path, null);
    }

    private static String rawPathOf(String uri) {
        int queryStart = uri.indexOf('?');
        return queryStart < 0 ? uri : uri.substring(0, queryStart);
    }

    private static Refused ambiguousPath(String user, PortHost.WorkspacePort target, Checked checked) {
        return new Refused(user, ProxyError.AMBIGUOUS_PATH, "Port " + target.port() + " of workspace '"
                + target.workspaceId() + "' has path rules, and this path has " + checked.ambiguity()
                + "; send the plain path (docs/policy.md lists the refused forms).", PATH_AMBIGUOUS.reasons(), false);
    }

    private static Verdict decide(AccessControl access, ConnectionAccess connection, ConnectionAccess.Known caller,
                                  String bearer, HttpRequest request, HttpRequest forwarded, PortHost.WorkspacePort target,
                                  RouteTable routes, InetSocketAddress client) {
        VerifiedIdentity identity = caller.identity();
        Principal principal = caller.principal();
        String user = caller.user();
        String issuer = identity == null ? null : identity.issuer();
        String method = forwarded.method().name();
        String rawPath = rawPathOf(forwarded.uri());
        WorkspaceRoute route = routes.lookup(target.workspaceId());
        AccessSnapshot snapshot = access.access().get();
        Checked checked = decision(forwarded, target, route, snapshot, principal);
        Decision decision = checked.decision();
        String path = checked.path();
        if (!decision.isAllowed() || checked.ambiguity() != null
            || connection.firstAllow(principal, issuer, target.workspaceId(), target.port())) {
            access.audit().decided(decision, principal, issuer, target.workspaceId(), target.port(), method, path, client);
        } else {
            access.audit().allowedAgain(decision);
        }
        if (checked.ambiguity() != null) {
            return ambiguousPath(user, target, checked);
        }
        if (decision.isAllowed()) {
            assertIdentity(access, forwarded, target, route, identity);
            OpenGrants.Grant grant = new OpenGrants.Grant(principal,
                    identity == null ? OpenGrants.noExpiry() : identity.expiresAt(), target.workspaceId(), target.port(),
                    method, path, caller.sessionId());
            Allowed verdict = new Allowed(user, grant);
            connection.remember(caller, bearer, new ConnectionAccess.Allowed(caller, target.workspaceId(), target.port(),
                    method, rawPath, route, snapshot, decision, path, grant,
                    identity != null && IdentityAssertions.wantedBy(route), verdict, access.audit().allowedAgainCounter(decision)));
            return verdict;
        }
        if (principal.isAuthenticated()) {
            return new Refused(user, ProxyError.FORBIDDEN, "You (" + user + ") may not reach port " + target.port()
                    + " of workspace '" + target.workspaceId() + "': " + String.join(", ", decision.reasons()) + ".",
                    decision.reasons(), false);
        }
        if (isCorsPreflight(forwarded)) {
            return new PreflightRefused();
        }
        if (isNavigation(request) && access.signIn().isPresent()) {
            return new SignInRequired(access.signIn().get().loginRedirect(target, request), false);
        }
        return new Refused(null, ProxyError.UNAUTHENTICATED, "Port " + target.port() + " of workspace '"
                + target.workspaceId() + "' is not public: sign in (send 'Authorization: Bearer <JWT>', or open this"
                + " URL in a browser" + (access.signIn().isPresent() ? "" : " once with '?access_token=<JWT>'") + ").",
                decision.reasons(), false);
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
        return new Refused(identity.qualifiedUser(), ProxyError.FORBIDDEN, refusal, CROSS_ORIGIN.reasons(), false);
    }

    /**
     * A page load in a browser: GET or HEAD that the browser marks as a navigation
     * ({@code Sec-Fetch-Mode: navigate}), or, from browsers that do not send that, asks for HTML.
     * Scripts (fetch, XHR), WebSockets and API clients are not navigations: they get 401 JSON.
     */
    static boolean isNavigation(HttpRequest request) {
        if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD
            || ForwardedRequests.isWebSocketUpgrade(request)) {
            return false;
        }
        String mode = request.headers().get(SEC_FETCH_MODE);
        if (mode != null) {
            return mode.equals("navigate");
        }
        String accept = request.headers().get(HttpHeaderNames.ACCEPT);
        return accept != null && accept.contains("text/html");
    }

    /**
     * A browser opened the URL with {@code ?access_token=}: the token becomes a session in the store
     * and the gateway's cookie references it on this host only; the browser is sent to the same URL
     * without the token, so it stays out of the workspace, the history and the logs. Closed against
     * the audit's findings: only a top-level page load the person started exchanges a token (no image,
     * no frame, no fetch, no link from another site); the policy is asked first (a token that may not
     * reach the port sets nothing); a live sign-in of another user is never replaced; the token is single
     * use across every gateway of the store and across restarts, keyed by what the token says (issuer
     * and {@code jti}, or subject and times), never by its text, which has several valid encodings; and
     * the redirect is an absolute URL on this host.
     */
    private static CompletableFuture<Verdict> exchangeQueryToken(AccessControl access, HttpRequest request,
                                                                 HttpRequest forwarded, GatewayCredentials credentials,
                                                                 PortHost.WorkspacePort target,
                                                                 Supplier<RouteTable> routes, InetSocketAddress client) {
        if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
            return done(new Refused(ProxyError.QUERY_TOKEN_NOT_ALLOWED, "'"
                    + GatewayCredentials.QUERY_PARAMETER + "' in the URL is accepted only when a browser opens a page"
                    + " (GET); send 'Authorization: Bearer <JWT>'."));
        }
        String notTopLevel = notTopLevelNavigation(request);
        if (notTopLevel != null) {
            return done(new Refused(ProxyError.QUERY_TOKEN_NOT_ALLOWED, "'" + GatewayCredentials.QUERY_PARAMETER
                    + "' is exchanged only when you open the link yourself (this request has " + notTopLevel
                    + "); paste the link into the address bar."));
        }
        CompletableFuture<Optional<SessionRecord>> existing = session(access, credentials.cookie())
                .exceptionally(failure -> Optional.empty());
        return access.identity().verifyAsync(credentials.queryToken()).thenCompose(identity ->
                existing.thenCompose(current -> exchange(access, request, forwarded, credentials, target, routes,
                        client, identity, current)))
                .exceptionally(failure -> new Refused(ProxyError.UNAUTHENTICATED, refusal("The token in the URL", failure)));
    }

    private static CompletableFuture<Verdict> exchange(AccessControl access, HttpRequest request, HttpRequest forwarded,
                                                       GatewayCredentials credentials, PortHost.WorkspacePort target,
                                                       Supplier<RouteTable> routes, InetSocketAddress client,
                                                       VerifiedIdentity identity, Optional<SessionRecord> current) {
        Principal principal = Principals.of(identity);
        Checked checked = decision(forwarded, target, routes.get().lookup(target.workspaceId()), access.access().get(),
                principal);
        Decision decision = checked.decision();
        access.audit().decided(decision, principal, identity.issuer(), target.workspaceId(), target.port(),
                forwarded.method().name(), checked.path(), client);
        if (checked.ambiguity() != null) {
            return done(ambiguousPath(identity.qualifiedUser(), target, checked));
        }
        if (!decision.isAllowed()) {
            return done(new Refused(identity.qualifiedUser(), ProxyError.FORBIDDEN, "You (" + identity.qualifiedUser()
                    + ") may not reach port " + target.port() + " of workspace '" + target.workspaceId() + "': "
                    + String.join(", ", decision.reasons()) + "; the link signs nobody in.", decision.reasons(), false));
        }
        if (current.isPresent() && !sameSubject(access.sessions().identityOf(current.get()), identity)) {
            return done(new Refused(identity.qualifiedUser(), ProxyError.CREDENTIAL_CONFLICT, "This browser is signed in here"
                    + " as " + current.get().user() + "; the link is for " + identity.qualifiedUser()
                    + ". Sign out first to switch user.", List.of(), false));
        }
        String host = target.hostName();
        return access.sessions().firstUse(oneTimeKey(identity, host), identity.expiresAt()).thenCompose(first -> {
            if (!first) {
                return done(new Refused(identity.qualifiedUser(), ProxyError.QUERY_TOKEN_REUSED, "This URL's access token was"
                        + " already used on " + host + "; open the URL without it (the cookie it set still works) or"
                        + " mint a new token.", List.of(), false));
            }
            return access.sessions().create(identity, idleTimeout(access), identity.expiresAt(), identity.expiresAt(),
                    null, null).thenApply(reference -> {
                access.audit().tokenExchanged(principal, target.workspaceId(), target.port(), client);
                long maxAge = Math.max(1, Duration.between(Instant.now(), identity.expiresAt()).getSeconds());
                return new TokenExchanged(identity.qualifiedUser(), absolute(request, target, credentials.uriWithoutQueryToken()),
                        AccessControl.COOKIE + "=" + reference + "; Path=/; Max-Age=" + maxAge
                        + "; Secure; HttpOnly; SameSite=Lax");
            });
        });
    }

    /**
     * Why the request is not a page load the person started, from the Fetch Metadata browsers send:
     * an image, frame, script or fetch ({@code Sec-Fetch-Dest}, {@code Sec-Fetch-Mode}), or a link
     * followed from another site ({@code Sec-Fetch-Site}). Null when it is one, or when the client
     * sends no Fetch Metadata (curl, old browsers).
     */
    public static String notTopLevelNavigation(HttpRequest request) {
        String dest = request.headers().get(SEC_FETCH_DEST);
        if (dest != null && !dest.equals("document")) {
            return "Sec-Fetch-Dest: " + dest;
        }
        String mode = request.headers().get(SEC_FETCH_MODE);
        if (mode != null && !mode.equals("navigate")) {
            return "Sec-Fetch-Mode: " + mode;
        }
        String site = request.headers().get(SEC_FETCH_SITE);
        if (site != null && !site.equals("none") && !site.equals("same-origin")) {
            return "Sec-Fetch-Site: " + site;
        }
        return null;
    }

    /**
     * What names one token whatever its encoding: the issuer with its {@code jti}, or without one the
     * subject and the issue and expiry times; and the host, since a link works once per host.
     */
    public static String oneTimeKey(VerifiedIdentity identity, String host) {
        Object jti = identity.otherClaims().get("jti");
        String id = jti instanceof String text && !text.isEmpty() ? "jti:" + text
                : "sub:" + identity.user() + "|iat:" + identity.otherClaims().get("iat") + "|exp:" + identity.expiresAt();
        return identity.issuer() + "\n" + id + "\n" + host;
    }

    /** An absolute URL on the request's own host: a path like {@code //evil.example/x} stays on it. */
    private static String absolute(HttpRequest request, PortHost.WorkspacePort target, String uri) {
        String hostHeader = request.headers().get(HttpHeaderNames.HOST);
        int colon = hostHeader == null ? -1 : hostHeader.lastIndexOf(':');
        String port = colon < 0 || hostHeader.endsWith(":443") ? "" : hostHeader.substring(colon);
        return "https://" + target.hostName() + port + (uri.startsWith("/") ? uri : "/" + uri);
    }

    private static Duration idleTimeout(AccessControl access) {
        return access.signIn().map(signIn -> signIn.settings().idleTimeout()).orElse(SignInSettings.DEFAULT_IDLE_TIMEOUT);
    }

    private static CompletableFuture<Verdict> done(Verdict verdict) {
        return CompletableFuture.completedFuture(verdict);
    }

    /** The live session a cookie references; empty for none, an unknown or ended one, or a value that is no reference. */
    private static CompletableFuture<Optional<SessionRecord>> session(AccessControl access, String reference) {
        if (reference == null || reference.length() > MAX_REFERENCE) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        return access.sessions().lookup(reference);
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
