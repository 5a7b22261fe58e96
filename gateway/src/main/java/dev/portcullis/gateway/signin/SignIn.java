package dev.portcullis.gateway.signin;

import static java.util.Objects.requireNonNull;

import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTParser;
import dev.portcullis.gateway.auth.IdentityVerifier;
import dev.portcullis.gateway.auth.RejectionReason;
import dev.portcullis.gateway.auth.TokenRejectedException;
import dev.portcullis.gateway.auth.VerifiedIdentity;
import dev.portcullis.gateway.route.PortHost;
import dev.portcullis.store.signin.LoginRecord;
import dev.portcullis.store.signin.SessionRecord;
import dev.portcullis.store.signin.SignInRecords;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Browser sign-in: the login host of each base domain ({@code login.<base domain>}: {@code /start},
 * {@code /callback}, {@code /logout}, {@code /signed-out}) and the gateway's own paths on every port
 * host ({@code /.portcullis/ticket}, {@code /.portcullis/logout}).
 *
 * <pre>
 * port host, no session ──303──▶ login/start?rt=&lt;signed return-to&gt;
 * login/start ──303──▶ provider (code flow, PKCE S256, state, nonce; the login bound to this browser by a cookie)
 * provider ──▶ login/callback: code exchanged, ID token checked, session created in the store
 * login/callback ──303──▶ port host/.portcullis/ticket?t=&lt;single use, 60 s, this host only&gt;
 * port host: ticket taken ──303──▶ the original URL, Set-Cookie __Host-portcullis=&lt;opaque session reference&gt;
 * </pre>
 *
 * A browser already signed in at the login host gets its ticket at once, without the provider.
 */
public final class SignIn implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SignIn.class);
    /** The session reference, on the login host and on every port host (host-only: one cookie per host). */
    public static final String SESSION_COOKIE = "__Host-portcullis";
    /** Binds a login in progress to the browser that started it. */
    static final String LOGIN_COOKIE = "__Host-portcullis-login";
    public static final String OWN_PATHS = "/.portcullis/";
    static final String TICKET_PATH = OWN_PATHS + "ticket";
    /** Ends the session everywhere (and so switches user: the next page load signs in anew). */
    public static final String LOGOUT_PATH = OWN_PATHS + "logout";
    /** Starts a sign-in from a page's Sign in button: {@code ?to=<path on this host>}. */
    static final String SIGN_IN_PATH = OWN_PATHS + "sign-in";
    private static final Duration RETURN_TO_LIFETIME = Duration.ofMinutes(10);
    private static final Duration LOGIN_LIFETIME = Duration.ofMinutes(10);

    private final SignInSettings settings;
    private final List<String> baseDomains;
    private final SignInSecrets secrets;
    private final OidcRelyingParty provider;
    private final Sessions sessions;
    private final IdentityVerifier identities;
    private final SessionRenewal renewal;

    /**
     * @param identities the gateway's issuers: the provider's entry among them maps its ID tokens
     *                   (claim names, org binding, alias, admin rule) as it maps its bearer tokens
     */
    public SignIn(SignInSettings settings, List<String> baseDomains, SignInSecrets secrets, Sessions sessions,
                  IdentityVerifier identities) {
        this.settings = requireNonNull(settings, "settings");
        this.baseDomains = List.copyOf(baseDomains);
        this.secrets = requireNonNull(secrets, "secrets");
        this.sessions = requireNonNull(sessions, "sessions");
        this.identities = requireNonNull(identities, "identities");
        this.provider = new OidcRelyingParty(settings, sessions.executor(), sessions.clock());
        this.renewal = new SessionRenewal(sessions, provider, secrets);
        provider.discoverAhead();
    }

    public SignInSettings settings() {
        return settings;
    }

    public Sessions sessions() {
        return sessions;
    }

    /** The base domain whose login host {@code host} (lowercase, no port) is, or empty. */
    public Optional<String> loginHostOf(String host) {
        for (String baseDomain : baseDomains) {
            if (settings.loginHost(baseDomain).equals(host)) {
                return Optional.of(baseDomain);
            }
        }
        return Optional.empty();
    }

    /**
     * Where an unauthenticated browser navigation to {@code target} goes: the login host, with a
     * signed link back to the same URL, query included.
     */
    public String loginRedirect(PortHost.WorkspacePort target, HttpRequest request) {
        return loginRedirect(target, request.headers().get(HttpHeaderNames.HOST), request.uri());
    }

    private String loginRedirect(PortHost.WorkspacePort target, String hostHeader, String uri) {
        String back = settings.origin(target.hostName(), hostHeader) + (ReturnTo.isSafePath(uri) ? uri : "/");
        String signed = secrets.signReturnTo(back, sessions.clock().instant().plus(RETURN_TO_LIFETIME));
        return settings.origin(settings.loginHost(target.baseDomain()), hostHeader) + "/start?rt=" + signed;
    }

    /**
     * Where a browser without a session at the console ({@code https://login.<base domain>/}) goes:
     * {@code /start} with a signed link back to the console, which the sign-in then returns to
     * directly (the session cookie is the login host's own), without a ticket.
     */
    public String consoleSignInRedirect(String baseDomain, HttpRequest request) {
        String signed = secrets.signReturnTo(consoleUrl(baseDomain, request), sessions.clock().instant().plus(RETURN_TO_LIFETIME));
        return settings.origin(settings.loginHost(baseDomain), hostOf(request)) + "/start?rt=" + signed;
    }

    /** The console's root on the login host of {@code baseDomain}, as this request reached it. */
    private String consoleUrl(String baseDomain, HttpRequest request) {
        return settings.origin(settings.loginHost(baseDomain), hostOf(request)) + "/";
    }

    /**
     * The port host's own link that signs in and comes back to {@code pathAndQuery} (a one-time
     * {@code access_token} in it is left out: it is spent).
     */
    public static String signInPath(String pathAndQuery) {
        String back = ReturnTo.isSafePath(pathAndQuery) ? withoutAccessToken(pathAndQuery) : "/";
        return SIGN_IN_PATH + "?to=" + URLEncoder.encode(back, StandardCharsets.UTF_8);
    }

    /** {@code pathAndQuery} without its {@code access_token} parameter. */
    public static String withoutAccessToken(String pathAndQuery) {
        int question = pathAndQuery.indexOf('?');
        if (question < 0) {
            return pathAndQuery;
        }
        String kept = java.util.Arrays.stream(pathAndQuery.substring(question + 1).split("&"))
                .filter(part -> !part.equals("access_token") && !part.startsWith("access_token="))
                .collect(java.util.stream.Collectors.joining("&"));
        return pathAndQuery.substring(0, question) + (kept.isEmpty() ? "" : "?" + kept);
    }

    /** Answers a request to the login host {@code loginHost} of {@code baseDomain}. */
    public CompletableFuture<FullHttpResponse> handleLoginHost(HttpRequest request, String baseDomain) {
        QueryStringDecoder query = new QueryStringDecoder(request.uri());
        if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
            return done(SignInAnswers.page(HttpResponseStatus.METHOD_NOT_ALLOWED, "method-not-allowed",
                    "Not here", "The login host answers only page loads (GET).", List.of()));
        }
        return switch (query.path()) {
            case "/start" -> start(request, baseDomain, first(query, "rt"));
            case "/callback" -> callback(request, baseDomain, query);
            case "/logout" -> logoutAtLoginHost(request, baseDomain);
            case "/signed-out" -> done(SignInAnswers.page(HttpResponseStatus.OK, "signed-out", "Signed out",
                    "You are signed out of every workspace. Open a workspace address to sign in again.", List.of()));
            default -> done(SignInAnswers.page(HttpResponseStatus.NOT_FOUND, "not-found", "Nothing here",
                    "This is the sign-in host; open a workspace address instead.", List.of()));
        };
    }

    /** Answers a request for the gateway's own paths ({@value #OWN_PATHS}) on a port host. */
    public CompletableFuture<FullHttpResponse> handlePortHost(HttpRequest request, PortHost.WorkspacePort target) {
        QueryStringDecoder query = new QueryStringDecoder(request.uri());
        if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
            return done(SignInAnswers.page(HttpResponseStatus.METHOD_NOT_ALLOWED, "method-not-allowed", "Not here",
                    "The gateway's own paths answer only page loads (GET).", List.of()));
        }
        return switch (query.path()) {
            case TICKET_PATH -> takeTicket(first(query, "t"), target, request);
            case LOGOUT_PATH -> logoutAtPortHost(request, target);
            case SIGN_IN_PATH -> done(SignInAnswers.redirect(loginRedirect(target, request.headers().get(HttpHeaderNames.HOST),
                    Optional.ofNullable(first(query, "to")).filter(ReturnTo::isSafePath).orElse("/")), List.of()));
            default -> done(SignInAnswers.page(HttpResponseStatus.NOT_FOUND, "not-found", "Nothing here",
                    "Paths under " + OWN_PATHS + " belong to the gateway.", List.of()));
        };
    }

    // ---- login host

    private CompletableFuture<FullHttpResponse> start(HttpRequest request, String baseDomain, String signedReturnTo) {
        Instant now = sessions.clock().instant();
        Optional<String> verified = signedReturnTo == null ? Optional.empty() : secrets.verifyReturnTo(signedReturnTo, now);
        if (verified.isPresent() && verified.get().equals(consoleUrl(baseDomain, request))) {
            return startForConsole(request, baseDomain, now);
        }
        Optional<ReturnTo> returnTo = verified.flatMap(url -> ReturnTo.parse(url, baseDomains));
        if (returnTo.isEmpty() || !baseDomainOf(returnTo.get().host()).equals(baseDomain)) {
            return done(SignInAnswers.refused("bad-return-to", "This sign-in link is not valid here or has expired."
                    + " Open the workspace address again."));
        }
        ReturnTo target = returnTo.get();
        String existing = cookie(request, SESSION_COOKIE);
        CompletableFuture<Optional<SessionRecord>> signedIn = existing == null
                ? CompletableFuture.completedFuture(Optional.empty()) : sessions.lookup(existing);
        return signedIn.thenCompose(session -> {
            if (session.isPresent()) {
                // Signed in at the login host already: straight back with a ticket, no provider round trip.
                return ticketRedirect(existing, target, request, List.of());
            }
            return toProvider(request, baseDomain, target.url(settings, hostOf(request)), now);
        }).exceptionally(SignIn::failure);
    }

    /** The console's sign-in: already signed in at the login host, straight to the console; else the provider. */
    private CompletableFuture<FullHttpResponse> startForConsole(HttpRequest request, String baseDomain, Instant now) {
        String existing = cookie(request, SESSION_COOKIE);
        CompletableFuture<Optional<SessionRecord>> signedIn = existing == null
                ? CompletableFuture.completedFuture(Optional.empty()) : sessions.lookup(existing);
        return signedIn.thenCompose(session -> session.isPresent()
                ? done(SignInAnswers.redirect(consoleUrl(baseDomain, request), List.of()))
                : toProvider(request, baseDomain, consoleUrl(baseDomain, request), now)).exceptionally(SignIn::failure);
    }

    /** A login record bound to this browser, and the redirect to the provider's authorization endpoint. */
    private CompletableFuture<FullHttpResponse> toProvider(HttpRequest request, String baseDomain, String returnTo,
                                                           Instant now) {
        String state = Sessions.newSecret();
        String nonce = Sessions.newSecret();
        String browser = Sessions.newSecret();
        String verifier = new CodeVerifier().getValue();
        LoginRecord login = new LoginRecord(SignInRecords.idOf(state), SignInRecords.idOf(browser), nonce, verifier,
                returnTo, now.plus(LOGIN_LIFETIME));
        return sessions.putLogin(login)
                .thenCompose(ignored -> provider.authorizationUrl(callbackUri(baseDomain, request), state, nonce, verifier))
                .thenApply(url -> SignInAnswers.redirect(url.toString(), List.of(
                        SignInAnswers.cookie(LOGIN_COOKIE, browser, LOGIN_LIFETIME.toSeconds()))));
    }

    private CompletableFuture<FullHttpResponse> callback(HttpRequest request, String baseDomain, QueryStringDecoder query) {
        String state = first(query, "state");
        String error = first(query, "error");
        if (state == null) {
            return done(SignInAnswers.refused("bad-state", "The provider's answer has no state."));
        }
        String browser = cookie(request, LOGIN_COOKIE);
        return sessions.takeLogin(state).thenCompose(found -> {
            if (found.isEmpty()) {
                return done(SignInAnswers.refused("bad-state", "This sign-in was already finished, has expired, or was"
                        + " never started here. Open the workspace address again."));
            }
            LoginRecord login = found.get();
            if (browser == null || !SignInRecords.idOf(browser).equals(login.browserId())) {
                return done(SignInAnswers.refused("login-from-another-browser", "This sign-in was started in another"
                        + " browser; it is not finished here. Open the workspace address again."));
            }
            if (error != null) {
                return done(SignInAnswers.page(HttpResponseStatus.FORBIDDEN, "provider-refused", "Sign-in refused",
                        "The identity provider answered '" + error + "'.", List.of(expiredLoginCookie())));
            }
            String code = first(query, "code");
            if (code == null) {
                return done(SignInAnswers.refused("bad-callback", "The provider's answer has no code."));
            }
            boolean toConsole = login.returnTo().equals(consoleUrl(baseDomain, request));
            Optional<ReturnTo> target = ReturnTo.parse(login.returnTo(), baseDomains);
            if (target.isEmpty() && !toConsole) {
                return done(SignInAnswers.refused("bad-return-to", "The sign-in's return address is not a workspace."));
            }
            return provider.exchangeCode(code, callbackUri(baseDomain, request), login.codeVerifier(), login.nonce())
                    .thenCompose(tokens -> {
                        VerifiedIdentity identity;
                        try {
                            identity = identities.identityOfVerifiedClaims(settings.issuer().toString(),
                                    tokens.idTokenClaims(), payloadOf(tokens.idToken()), tokens.tokenExpiresAt());
                        } catch (TokenRejectedException e) {
                            // An org the provider's issuer may not speak for is named as such, not as a bad token.
                            String failure = e.reason() == RejectionReason.ORG_NOT_BOUND ? e.reason().code() : "id-token-invalid";
                            throw new CompletionException(new OidcRelyingParty.SignInFailedException(failure, e.getMessage(), e));
                        }
                        Instant now = sessions.clock().instant();
                        return sessions.create(identity, settings.idleTimeout(), now.plus(settings.lifetime()),
                                tokens.tokenExpiresAt(), secrets.seal(tokens.refreshToken()), secrets.seal(tokens.idToken()));
                    })
                    .thenCompose(reference -> {
                        List<String> cookies = List.of(SignInAnswers.cookie(SESSION_COOKIE, reference,
                                settings.lifetime().toSeconds()), expiredLoginCookie());
                        return toConsole ? done(SignInAnswers.redirect(login.returnTo(), cookies))
                                : ticketRedirect(reference, target.get(), request, cookies);
                    });
        }).exceptionally(SignIn::failure);
    }

    /**
     * The ID token's payload as JSON parsed it, where a numeric {@code sub} is still a number (the
     * validated claims have it as text already); null, refused as a missing user, if it does not parse.
     */
    private static Map<String, Object> payloadOf(String idToken) {
        try {
            return JSONObjectUtils.parse(JWTParser.parse(idToken).getParsedParts()[1].decodeToString());
        } catch (java.text.ParseException | RuntimeException e) {
            return null;
        }
    }

    private CompletableFuture<FullHttpResponse> ticketRedirect(String reference, ReturnTo target, HttpRequest request,
                                                               List<String> cookies) {
        return sessions.issueTicket(secrets.seal(reference), target.host(), target.path())
                .thenApply(ticket -> SignInAnswers.redirect(settings.origin(target.host(), hostOf(request)) + TICKET_PATH
                        + "?t=" + ticket, cookies));
    }

    private CompletableFuture<FullHttpResponse> logoutAtLoginHost(HttpRequest request, String baseDomain) {
        String reference = cookie(request, SESSION_COOKIE);
        List<String> cookies = List.of(SignInAnswers.expiredCookie(SESSION_COOKIE));
        URI signedOut = URI.create(settings.origin(settings.loginHost(baseDomain), hostOf(request)) + "/signed-out");
        if (reference == null) {
            return done(SignInAnswers.redirect(signedOut.toString(), cookies));
        }
        return sessions.lookup(reference).thenCompose(session -> {
            String idToken = session.flatMap(s -> secrets.unseal(s.idToken())).orElse(null);
            return sessions.end(Sessions.idOf(reference))
                    .thenCompose(ended -> session.isPresent() && session.get().idToken() != null
                            ? provider.logoutUrl(idToken, signedOut) : CompletableFuture.completedFuture(Optional.<URI>empty()))
                    .thenApply(atProvider -> SignInAnswers.redirect(atProvider.orElse(signedOut).toString(), cookies));
        }).exceptionally(SignIn::failure);
    }

    // ---- port hosts

    private CompletableFuture<FullHttpResponse> takeTicket(String ticket, PortHost.WorkspacePort target,
                                                           HttpRequest request) {
        if (ticket == null || ticket.length() > 100) {
            return done(SignInAnswers.refused("ticket-invalid", "This sign-in link has no valid ticket."));
        }
        return sessions.takeTicket(ticket).thenCompose(found -> {
            if (found.isEmpty()) {
                return done(SignInAnswers.refused("ticket-invalid", "This sign-in link was already used or has expired."
                        + " Open the workspace address again."));
            }
            if (!found.get().host().equals(target.hostName())) {
                return done(SignInAnswers.refused("ticket-for-another-host", "This sign-in link is for another"
                        + " workspace address."));
            }
            Optional<String> reference = secrets.unseal(found.get().sessionRef());
            if (reference.isEmpty() || !ReturnTo.isSafePath(found.get().path())) {
                return done(SignInAnswers.refused("ticket-invalid", "This sign-in link cannot be read by this gateway."));
            }
            return sessions.lookup(reference.get()).thenApply(session -> {
                if (session.isEmpty()) {
                    return SignInAnswers.refused("session-ended", "The sign-in ended before this link was opened.");
                }
                long maxAge = Math.max(1, Duration.between(sessions.clock().instant(), session.get().expiresAt()).toSeconds());
                return SignInAnswers.redirect(settings.origin(target.hostName(), hostOf(request)) + found.get().path(),
                        List.of(SignInAnswers.cookie(SESSION_COOKIE, reference.get(), maxAge)));
            });
        }).exceptionally(SignIn::failure);
    }

    private CompletableFuture<FullHttpResponse> logoutAtPortHost(HttpRequest request, PortHost.WorkspacePort target) {
        String reference = cookie(request, SESSION_COOKIE);
        List<String> cookies = List.of(SignInAnswers.expiredCookie(SESSION_COOKIE));
        String loginLogout = settings.origin(settings.loginHost(target.baseDomain()), hostOf(request)) + "/logout";
        if (reference == null) {
            return done(SignInAnswers.redirect(loginLogout, cookies));
        }
        return sessions.lookup(reference).thenCompose(session -> {
            // A provider session is ended by the login host (it holds the ID token for the provider's logout);
            // a session from a one-time URL token ends here.
            if (session.isPresent() && session.get().idToken() == null) {
                return sessions.end(session.get().id()).thenApply(ended -> SignInAnswers.redirect(loginLogout, cookies));
            }
            return done(SignInAnswers.redirect(loginLogout, cookies));
        }).exceptionally(SignIn::failure);
    }

    // ---- helpers

    private URI callbackUri(String baseDomain, HttpRequest request) {
        return URI.create(settings.origin(settings.loginHost(baseDomain), hostOf(request)) + "/callback");
    }

    private static String hostOf(HttpRequest request) {
        return request.headers().get(HttpHeaderNames.HOST);
    }

    private String baseDomainOf(String portHost) {
        return PortHost.parse(portHost, baseDomains) instanceof PortHost.WorkspacePort port ? port.baseDomain() : "";
    }

    private static String expiredLoginCookie() {
        return SignInAnswers.expiredCookie(LOGIN_COOKIE);
    }

    private static String first(QueryStringDecoder query, String name) {
        List<String> values = query.parameters().get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** The value of cookie {@code name} in the request, or null. */
    static String cookie(HttpRequest request, String name) {
        for (String header : request.headers().getAll(HttpHeaderNames.COOKIE)) {
            for (Cookie cookie : ServerCookieDecoder.LAX.decode(header)) {
                if (cookie.name().equals(name) && !cookie.value().isEmpty()) {
                    return cookie.value();
                }
            }
        }
        return null;
    }

    private static CompletableFuture<FullHttpResponse> done(FullHttpResponse response) {
        return CompletableFuture.completedFuture(response);
    }

    private static FullHttpResponse failure(Throwable failure) {
        Throwable cause = failure;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        log.warn("sign-in refused or failed: {}", cause.toString(), cause instanceof OidcRelyingParty.SignInFailedException
                && cause.getCause() == null ? null : cause);
        if (cause instanceof OidcRelyingParty.SignInFailedException signIn) {
            HttpResponseStatus status = signIn.code().equals("provider-unavailable")
                    ? HttpResponseStatus.BAD_GATEWAY : HttpResponseStatus.BAD_REQUEST;
            return SignInAnswers.page(status, signIn.code(), "Sign-in failed", signIn.getMessage(), List.of());
        }
        return SignInAnswers.page(HttpResponseStatus.SERVICE_UNAVAILABLE, "sign-in-unavailable", "Sign-in unavailable",
                "The sign-in could not be completed right now (" + cause.getClass().getSimpleName() + "). Try again.",
                List.of());
    }

    @Override
    public void close() {
        renewal.close();
        sessions.close();
    }
}
