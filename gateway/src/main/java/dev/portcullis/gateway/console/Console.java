package dev.portcullis.gateway.console;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.portcullis.gateway.access.AccessRecords;
import dev.portcullis.gateway.access.OpenGrants;
import dev.portcullis.gateway.admin.AccessApi;
import dev.portcullis.gateway.auth.IdentityVerifier;
import dev.portcullis.gateway.auth.VerifiedIdentity;
import dev.portcullis.gateway.observe.RecentAudit;
import dev.portcullis.gateway.proxy.RequestAccess;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.gateway.signin.SignIn;
import dev.portcullis.gateway.signin.Sessions;
import dev.portcullis.policy.OrgPolicy;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.policy.parse.ParseResult;
import dev.portcullis.policy.parse.PolicyError;
import dev.portcullis.policy.parse.PolicyParser;
import dev.portcullis.store.signin.SessionRecord;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The web console on the login host ({@code https://login.<base domain>/}): an owner's workspaces
 * and ports with their shares, explain, and the org's policy for its admins.
 *
 * <p>Who: the login host's own session cookie ({@code __Host-portcullis}, host-only); without one a
 * page load goes through the sign-in and comes back. Every change is a call of the admin API's own
 * code ({@link AccessApi#handleAs}) for the session's person, so the same checks apply and the audit
 * log names them. Every request that changes something (every POST) must come from the login host's
 * own origin and carry the session's CSRF token ({@link CsrfTokens}): a workspace page is same-site
 * with the login host, so its requests would carry the cookie.
 */
public final class Console {
    static final String ASSETS = "/console/";
    static final String EVENTS = "/console/audit/events";
    static final String QUERY_TOKEN = "access_token";

    private final SignIn signIn;
    private final IdentityVerifier identities;
    private final AccessApi api;
    private final AccessRecords records;
    private final Supplier<RouteTable> routes;
    private final OpenGrants grants;
    private final ListeningPorts ports;
    private final RecentAudit audit;
    private final Clock clock;
    private final PolicyParser parser = new PolicyParser();

    public Console(SignIn signIn, IdentityVerifier identities, AccessApi api, AccessRecords records,
                   Supplier<RouteTable> routes, OpenGrants grants, ListeningPorts ports, RecentAudit audit, Clock clock) {
        this.signIn = requireNonNull(signIn, "signIn");
        this.identities = requireNonNull(identities, "identities");
        this.api = requireNonNull(api, "api");
        this.records = requireNonNull(records, "records");
        this.routes = requireNonNull(routes, "routes");
        this.grants = requireNonNull(grants, "grants");
        this.ports = requireNonNull(ports, "ports");
        this.audit = requireNonNull(audit, "audit");
        this.clock = requireNonNull(clock, "clock");
    }

    /** Whether the login host's {@code path} is the console's (the rest is the sign-in's). */
    public static boolean owns(HttpRequest request) {
        String path = new QueryStringDecoder(request.uri()).path();
        return path.equals("/") || path.startsWith(ASSETS);
    }

    /** Whether {@code request} opens the audit page's live stream, which {@link #openEventStream} answers. */
    public static boolean isEventStream(HttpRequest request) {
        return request.method() == HttpMethod.GET && new QueryStringDecoder(request.uri()).path().equals(EVENTS);
    }

    /**
     * Answers the audit stream on {@code channel} (a connection or one HTTP/2 stream), which the console then writes to until it closes:
     * refused (403) when the request comes from another site or origin, 401 without a session, else
     * the lines this person may see that the query asks for ({@link AuditFilter}).
     */
    public void openEventStream(HttpRequest request, String baseDomain, StreamedAnswerClient channel) {
        String refusal = crossSite(request, baseDomain);
        if (refusal != null) {
            refuse(channel, ConsoleAnswers.jsonError(HttpResponseStatus.FORBIDDEN, "cross-site-refused", refusal));
            return;
        }
        String reference = sessionCookie(request);
        CompletableFuture<Optional<SessionRecord>> session = reference == null
                ? CompletableFuture.completedFuture(Optional.empty()) : signIn.sessions().lookup(reference);
        session.whenComplete((found, failure) -> {
            if (failure != null || found.isEmpty()) {
                refuse(channel, ConsoleAnswers.jsonError(HttpResponseStatus.UNAUTHORIZED, "unauthenticated",
                        "Sign in at " + loginOrigin(baseDomain, request) + "/ first."));
                return;
            }
            Viewer viewer = viewerOf(found.get(), reference);
            AuditFilter filter = AuditFilter.of(request.uri());
            // The page rendered the lines up to ?after=; a reconnecting browser says what it got last.
            long lastSeen = Math.max(number(request.headers().get("last-event-id")),
                    number(new QueryStringDecoder(request.uri()).parameters().getOrDefault("after", List.of("0")).get(0)));
            AuditStream.open(channel, audit, entry -> AuditFilter.visible(entry, viewer, routes.get()) && filter.matches(entry),
                    lastSeen, () -> signIn.sessions().lookup(reference).thenApply(Optional::isPresent));
        });
    }

    private static long number(String text) {
        try {
            return text == null ? 0 : Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static void refuse(StreamedAnswerClient channel, FullHttpResponse answer) {
        channel.eventLoop().execute(() -> channel.write(answer).addListener(written -> channel.close()));
    }

    /**
     * Why a read that only the console's own pages make (the audit stream) is refused as coming from
     * elsewhere, or null: a browser says where a request came from ({@code Sec-Fetch-Site},
     * {@code Origin}); a workspace page is same-site with the login host but not same-origin.
     */
    private String crossSite(HttpRequest request, String baseDomain) {
        String expected = loginOrigin(baseDomain, request);
        String origin = request.headers().get(HttpHeaderNames.ORIGIN);
        String site = request.headers().get("sec-fetch-site");
        if (origin != null && !origin.equals(expected)) {
            return "This request came from " + origin + ", not from the console at " + expected + ".";
        }
        if (site != null && !site.equals("same-origin")) {
            return "This request came from another site (" + site + "), not from the console at " + expected + ".";
        }
        return null;
    }

    /** A request whose body the console needs before it answers; null for one it answers from its head. */
    public FormPost bodyReader(HttpRequest request, String baseDomain) {
        return request.method() == HttpMethod.GET || request.method() == HttpMethod.HEAD ? null
                : new FormPost(this, request, baseDomain);
    }

    /** Answers one request to the console of {@code baseDomain}'s login host. */
    public CompletableFuture<FullHttpResponse> handle(HttpRequest request, String body, String baseDomain) {
        String path = new QueryStringDecoder(request.uri()).path();
        boolean read = request.method() == HttpMethod.GET || request.method() == HttpMethod.HEAD;
        if (read && path.equals(ASSETS + "console.css")) {
            return done(ConsoleAnswers.asset("text/css; charset=utf-8", ConsoleAnswers.STYLE));
        }
        if (read && path.equals(ASSETS + "console.js")) {
            return done(ConsoleAnswers.asset("text/javascript; charset=utf-8", ConsoleAnswers.SCRIPT));
        }
        if (!read && request.method() != HttpMethod.POST) {
            return done(ConsoleAnswers.jsonError(HttpResponseStatus.METHOD_NOT_ALLOWED, "method-not-allowed",
                    "The console answers GET and POST only."));
        }
        String reference = sessionCookie(request);
        CompletableFuture<Optional<SessionRecord>> session = reference == null
                ? CompletableFuture.completedFuture(Optional.empty()) : signIn.sessions().lookup(reference);
        List<String> queryToken = new QueryStringDecoder(request.uri()).parameters().get(QUERY_TOKEN);
        if (queryToken != null && !queryToken.isEmpty()) {
            return read ? exchangeQueryToken(request, queryToken.get(0), baseDomain, session)
                    : done(ConsoleAnswers.jsonError(HttpResponseStatus.BAD_REQUEST, "query-token-not-allowed",
                            "'" + QUERY_TOKEN + "' in the URL is accepted only when a browser opens a console page (GET)."));
        }
        return session.thenCompose(found -> {
            if (found.isEmpty()) {
                return done(read && path.equals("/") ? ConsoleAnswers.redirect(signIn.consoleSignInRedirect(baseDomain, request))
                        : ConsoleAnswers.jsonError(HttpResponseStatus.UNAUTHORIZED, "unauthenticated",
                                "Sign in at " + loginOrigin(baseDomain, request) + "/ first."));
            }
            Viewer viewer = viewerOf(found.get(), reference);
            Request call = new Request(request, path, body, baseDomain, viewer);
            if (!read) {
                String refusal = forgeryCheck(request, reference, body, baseDomain);
                if (refusal != null) {
                    return done(ConsoleAnswers.jsonError(HttpResponseStatus.FORBIDDEN, "csrf-refused", refusal));
                }
            }
            return route(call);
        });
    }

    /**
     * A browser opened a console page with {@code ?access_token=<JWT>} (the demo prints such a link for
     * its admin, whose browser sign-in provider does not carry the admin claim): the token is verified
     * like any bearer token, spent (once per token across the store's gateways and restarts, keyed by
     * what it says, as on workspace hosts), and becomes a console session; the browser is sent to the
     * same page without the token, which so stays out of its history. Only a page load the person
     * started exchanges one, and a live sign-in of someone else is never replaced. What the session may
     * do is what the token's claims say: a non-admin token gets an owner's console, no policy page.
     */
    private CompletableFuture<FullHttpResponse> exchangeQueryToken(HttpRequest request, String token, String baseDomain,
                                                                   CompletableFuture<Optional<SessionRecord>> session) {
        String notTopLevel = RequestAccess.notTopLevelNavigation(request);
        if (notTopLevel != null) {
            return done(ConsoleAnswers.jsonError(HttpResponseStatus.BAD_REQUEST, "query-token-not-allowed", "'" + QUERY_TOKEN
                    + "' is exchanged only when you open the link yourself (this request has " + notTopLevel
                    + "); paste the link into the address bar."));
        }
        String host = signIn.settings().loginHost(baseDomain);
        return identities.verifyAsync(token).thenCompose(identity -> session.exceptionally(failure -> Optional.empty())
                .thenCompose(current -> {
                    if (current.isPresent() && !sameSubject(signIn.sessions().identityOf(current.get()), identity)) {
                        return done(ConsoleAnswers.jsonError(HttpResponseStatus.CONFLICT, "credential-conflict",
                                "This browser is signed in to the console as " + current.get().user() + "; the link is for "
                                + identity.qualifiedUser() + ". Sign out first (" + loginOrigin(baseDomain, request)
                                + "/logout) to switch user."));
                    }
                    return signIn.sessions().firstUse(RequestAccess.oneTimeKey(identity, host), identity.expiresAt())
                            .thenCompose(first -> first ? signedIn(request, identity, baseDomain)
                                    : done(ConsoleAnswers.jsonError(HttpResponseStatus.UNAUTHORIZED, "query-token-reused",
                                            "This link's access token was already used on " + host + "; open "
                                            + loginOrigin(baseDomain, request) + "/ without it (the session it started"
                                            + " still works there) or mint a new token.")));
                }))
                .exceptionally(failure -> ConsoleAnswers.jsonError(HttpResponseStatus.UNAUTHORIZED, "unauthenticated",
                        "The token in the URL was refused: " + messageOf(failure)));
    }

    private CompletableFuture<FullHttpResponse> signedIn(HttpRequest request, VerifiedIdentity identity, String baseDomain) {
        return signIn.sessions().create(identity, signIn.settings().idleTimeout(), identity.expiresAt(), identity.expiresAt(),
                null, null).thenApply(reference -> {
                    long maxAge = Math.max(1, Duration.between(Instant.now(clock), identity.expiresAt()).getSeconds());
                    String uri = request.uri();
                    String back = uri.startsWith("/") && !uri.startsWith("//") ? SignIn.withoutAccessToken(uri) : "/";
                    FullHttpResponse redirect = ConsoleAnswers.redirect(loginOrigin(baseDomain, request) + back);
                    redirect.headers().add(HttpHeaderNames.SET_COOKIE, SignIn.SESSION_COOKIE + "=" + reference
                            + "; Path=/; Max-Age=" + maxAge + "; Secure; HttpOnly; SameSite=Lax");
                    return redirect;
                });
    }

    private static boolean sameSubject(VerifiedIdentity a, VerifiedIdentity b) {
        return a.issuer().equals(b.issuer()) && a.user().equals(b.user());
    }

    private static String messageOf(Throwable failure) {
        Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        return cause.getMessage();
    }

    private Viewer viewerOf(SessionRecord session, String reference) {
        VerifiedIdentity identity = signIn.sessions().identityOf(session);
        return new Viewer(identity, identity.org().map(org -> api.isAdminOf(identity, org)).orElse(false),
                CsrfTokens.of(reference));
    }

    /** One request of a signed-in person. */
    private record Request(HttpRequest head, String path, String body, String baseDomain, Viewer viewer) {
        boolean isPost() {
            return head.method() == HttpMethod.POST;
        }

        Map<String, List<String>> form() {
            return new QueryStringDecoder(body, false).parameters();
        }

        /**
         * A form field, its line ends back to {@code \n}: browsers send a textarea's lines joined by
         * CRLF, and a policy kept with them would be shown again with a stray character per line (which
         * the next post would send back) and stored with them.
         */
        String field(String name) {
            List<String> values = form().get(name);
            return values == null || values.isEmpty() ? "" : values.get(0).replace("\r\n", "\n").strip();
        }
    }

    private CompletableFuture<FullHttpResponse> route(Request call) {
        return switch (call.path()) {
            case "/" -> done(portsPage(call, null, null, HttpResponseStatus.OK));
            case "/console/share" -> call.isPost() ? share(call) : notFound();
            case "/console/revoke" -> call.isPost() ? revoke(call) : notFound();
            case "/console/explain" -> explain(call);
            case "/console/audit" -> call.isPost() ? notFound() : done(auditPage(call));
            case "/console/policy" -> requireAdmin(call).orElseGet(() -> policy(call));
            case "/console/api/policy/validate" -> requireAdmin(call).orElseGet(() -> validate(call));
            default -> notFound();
        };
    }

    // ---- my workspaces and ports

    private FullHttpResponse portsPage(Request call, String notice, String error, HttpResponseStatus status) {
        List<WorkspaceRoute> mine = routes.get().routes().stream()
                .filter(call.viewer()::owns)
                .toList();
        PortUrls urls = (workspace, port) -> signIn.settings().origin(port + "-" + workspace + "." + call.baseDomain(),
                call.head().headers().get(HttpHeaderNames.HOST)) + "/";
        return ConsoleAnswers.html(status, PortsPage.render(call.viewer(), mine, records.current(), ports, urls,
                clock.instant(), notice, error));
    }

    private CompletableFuture<FullHttpResponse> share(Request call) {
        String workspace = call.field("workspace");
        int port;
        ShareLevel level;
        ObjectNode share = ConsoleAnswers.JSON.createObjectNode();
        try {
            port = Integer.parseInt(call.field("port"));
            level = ShareLevel.ofConfigName(call.field("level"));
            share.put("level", level.configName());
            list(share.putArray("users"), call.field("users"));
            list(share.putArray("groups"), call.field("groups"));
            if (!call.field("expires").isEmpty()) {
                share.put("expires", LocalDateTime.parse(call.field("expires")).toInstant(ZoneOffset.UTC).toString());
            }
        } catch (NumberFormatException e) {
            return done(portsPage(call, null, "port: '" + call.field("port") + "' (expected: a number 1-65535)",
                    HttpResponseStatus.UNPROCESSABLE_ENTITY));
        } catch (IllegalArgumentException | DateTimeParseException e) {
            return done(portsPage(call, null, e.getMessage(), HttpResponseStatus.UNPROCESSABLE_ENTITY));
        }
        WorkspaceRoute route = routes.get().lookup(workspace);
        if (route != null && route.owner() != null && port >= 1 && port <= 65535) {
            ShareCap cap = ShareCap.of(PortsPage.policyOf(records.current(), route), port);
            if (!cap.allows(level)) {
                return done(portsPage(call, null, "level " + level.configName() + " is not allowed on port " + port + ": "
                        + cap.why() + ".", HttpResponseStatus.UNPROCESSABLE_ENTITY));
            }
        }
        return api.handleAs(call.viewer().identity(), new AccessApi.Call("PUT", AccessApi.PREFIX + "shares/" + workspace
                        + "/" + port, Optional.empty(), null, share.toString(), Optional.empty()))
                .thenApply(answer -> afterChange(call, answer, "Port " + port + " of " + workspace + " is now shared at "
                        + level.configName() + "."));
    }

    private CompletableFuture<FullHttpResponse> revoke(Request call) {
        String workspace = call.field("workspace");
        String port = call.field("port");
        return api.handleAs(call.viewer().identity(), new AccessApi.Call("DELETE", AccessApi.PREFIX + "shares/" + workspace
                        + "/" + port, Optional.empty(), null, "", Optional.empty()))
                .thenApply(answer -> afterChange(call, answer, "The share of port " + port + " of " + workspace
                        + " is revoked; open connections of people who lost access are closed."));
    }

    private FullHttpResponse afterChange(Request call, AccessApi.Answer answer, String done) {
        if (answer.status() / 100 == 2) {
            return portsPage(call, done, null, HttpResponseStatus.OK);
        }
        return portsPage(call, null, messageOf(answer), HttpResponseStatus.valueOf(answer.status()));
    }

    // ---- audit

    private FullHttpResponse auditPage(Request call) {
        AuditFilter filter = AuditFilter.of(call.head().uri());
        RouteTable now = routes.get();
        List<RecentAudit.Entry> kept = audit.entries();
        List<RecentAudit.Entry> shown = new java.util.ArrayList<>();
        for (int i = kept.size() - 1; i >= 0 && shown.size() < AuditPage.SHOWN; i--) {
            RecentAudit.Entry entry = kept.get(i);
            if (AuditFilter.visible(entry, call.viewer(), now) && filter.matches(entry)) {
                shown.add(entry);
            }
        }
        long last = kept.isEmpty() ? 0 : kept.get(kept.size() - 1).sequence();
        return ConsoleAnswers.html(HttpResponseStatus.OK, AuditPage.render(call.viewer(), filter, shown, last));
    }

    // ---- explain

    private CompletableFuture<FullHttpResponse> explain(Request call) {
        if (!call.isPost()) {
            ExplainPage.Question empty = new ExplainPage.Question(call.viewer().user(), Optional.ofNullable(call.viewer().org())
                    .orElse(""), "", "", "GET");
            return done(ConsoleAnswers.html(HttpResponseStatus.OK, ExplainPage.render(call.viewer(), empty, null, null)));
        }
        ExplainPage.Question question = new ExplainPage.Question(call.field("user"), call.field("org"), call.field("groups"),
                call.field("url"), call.field("method").isEmpty() ? "GET" : call.field("method"));
        ObjectNode ask = ConsoleAnswers.JSON.createObjectNode().put("url", question.url()).put("method", question.method());
        if (!call.field("token").isEmpty()) {
            ask.put("token", call.field("token")); // the admin API verifies it and says whose it is
        } else if (!question.user().isEmpty()) {
            ask.put("user", question.user());
            if (!question.org().isEmpty()) {
                ask.put("org", question.org());
            }
            list(ask.putArray("groups"), question.groups());
        }
        return api.handleAs(call.viewer().identity(), new AccessApi.Call("POST", AccessApi.PREFIX + "explain",
                Optional.empty(), null, ask.toString(), Optional.empty())).thenApply(answer -> {
                    if (answer.status() != 200) {
                        return ConsoleAnswers.html(HttpResponseStatus.valueOf(answer.status()),
                                ExplainPage.render(call.viewer(), question, null, messageOf(answer)));
                    }
                    return ConsoleAnswers.html(HttpResponseStatus.OK, ExplainPage.render(call.viewer(), question,
                            readJson(answer.body()), null));
                });
    }

    // ---- org policy (admins)

    private Optional<CompletableFuture<FullHttpResponse>> requireAdmin(Request call) {
        if (call.viewer().admin()) {
            return Optional.empty();
        }
        String message = "Only an admin of an org may see or change its policy.";
        return Optional.of(done(call.path().startsWith("/console/api/")
                ? ConsoleAnswers.jsonError(HttpResponseStatus.FORBIDDEN, "forbidden", message)
                : ConsoleAnswers.html(HttpResponseStatus.FORBIDDEN, ConsoleLayout.page(call.viewer(), ConsoleLayout.Section.POLICY,
                        "Not for you", ConsoleLayout.error(message)))));
    }

    private CompletableFuture<FullHttpResponse> policy(Request call) {
        String org = call.viewer().org();
        if (!call.isPost()) {
            return CompletableFuture.supplyAsync(() -> policyPage(call, org, null, null, null, List.of(), HttpResponseStatus.OK),
                    signIn.sessions().executor());
        }
        String text = call.field("text");
        long revision;
        try {
            revision = Long.parseLong(call.field("revision"));
        } catch (NumberFormatException e) {
            revision = -1;
        }
        ParseResult<OrgPolicy> parsed = parser.parsePolicy(org + ".yaml", text);
        if (!parsed.isSuccess()) {
            return done(editedPolicyPage(call, org, text, revision, null, "The policy has errors; nothing was applied.",
                    parsed.errors(), null, HttpResponseStatus.UNPROCESSABLE_ENTITY));
        }
        if (call.field("action").equals("dry-run")) {
            PolicyDryRun.Result result = PolicyDryRun.of(org, parsed.orElseThrow(), routes.get(), records.current(), grants.open());
            return done(editedPolicyPage(call, org, text, revision, null, null, List.of(), result, HttpResponseStatus.OK));
        }
        long read = revision;
        return api.handleAs(call.viewer().identity(), new AccessApi.Call("PUT", AccessApi.PREFIX + "policies/" + org,
                Optional.of(org + ".yaml"), null, text, read < 0 ? Optional.empty() : Optional.of("\"" + read + "\"")))
                .thenApply(answer -> {
                    if (answer.status() == 200) {
                        return policyPage(call, org, "Applied: the policy of " + org + " is now revision "
                                + answer.etag().orElse("(unversioned)").replace("\"", "") + ".", null, null, List.of(),
                                HttpResponseStatus.OK);
                    }
                    String message = answer.status() == 409
                            ? "Someone else changed the policy since you loaded revision " + read + " (it is now revision "
                              + readJson(answer.body()).path("currentRevision").asLong() + "). Nothing was applied:"
                              + " your text is kept below; reload the page to see theirs."
                            : messageOf(answer);
                    return editedPolicyPage(call, org, text, read, null, message, List.of(), null,
                            HttpResponseStatus.valueOf(answer.status()));
                });
    }

    private FullHttpResponse policyPage(Request call, String org, String notice, String error, PolicyDryRun.Result dryRun,
                                        List<PolicyError> errors, HttpResponseStatus status) {
        Optional<AccessRecords.Revised<String>> current = records.policyText(org);
        String text = current.map(AccessRecords.Revised::value).orElse("apiVersion: portcullis.dev/v1\nkind: OrgPolicy\n"
                + "org: " + org + "\nsharing:\n  maxLevel: organization\n");
        long revision = current.map(AccessRecords.Revised::revision).orElse(0L);
        return ConsoleAnswers.html(status, PolicyPage.render(call.viewer(), new PolicyPage.State(org, text, revision,
                current.isPresent(), errors, dryRun, notice, error)));
    }

    private FullHttpResponse editedPolicyPage(Request call, String org, String text, long revision, String notice,
                                              String error, List<PolicyError> errors, PolicyDryRun.Result dryRun,
                                              HttpResponseStatus status) {
        boolean own = records.policyText(org).isPresent();
        return ConsoleAnswers.html(status, PolicyPage.render(call.viewer(), new PolicyPage.State(org, text, Math.max(revision, 0),
                own, errors, dryRun, notice, error)));
    }

    /** The same parser and errors as {@code policy validate} and the admin API, for the editor's script. */
    private CompletableFuture<FullHttpResponse> validate(Request call) {
        JsonNode request = readJson(call.body());
        if (!request.path("text").isTextual()) {
            return done(ConsoleAnswers.jsonError(HttpResponseStatus.BAD_REQUEST, "malformed-body",
                    "Expected a JSON object {\"text\": \"<policy YAML>\"}."));
        }
        List<PolicyError> errors = parser.validate(call.viewer().org() + ".yaml", request.get("text").asText());
        ObjectNode answer = ConsoleAnswers.JSON.createObjectNode().put("valid", errors.isEmpty());
        ArrayNode list = answer.putArray("errors");
        for (PolicyError error : errors) {
            list.addObject().put("line", error.line()).put("column", error.column()).put("field", error.field())
                    .put("message", error.message()).put("text", error.toString());
        }
        return done(ConsoleAnswers.json(HttpResponseStatus.OK, answer));
    }

    // ---- forgery, cookies, helpers

    /**
     * Why a state-changing request is refused as a possible forgery, or null: it must come from the
     * login host's own origin ({@code Origin}, or {@code Sec-Fetch-Site: same-origin}) and carry the
     * session's token (form field {@code csrf} or header {@code X-CSRF-Token}).
     */
    private String forgeryCheck(HttpRequest request, String reference, String body, String baseDomain) {
        String origin = request.headers().get(HttpHeaderNames.ORIGIN);
        String expected = loginOrigin(baseDomain, request);
        String site = request.headers().get("sec-fetch-site");
        if (origin != null ? !origin.equals(expected) : site != null && !site.equals("same-origin")) {
            return "This request came from " + (origin != null ? origin : "another site (" + site + ")")
                    + ", not from the console at " + expected + ".";
        }
        String token = request.headers().get("x-csrf-token");
        if (token == null) {
            List<String> field = new QueryStringDecoder(body, false).parameters().get("csrf");
            token = field == null || field.isEmpty() ? null : field.get(0);
        }
        return CsrfTokens.matches(reference, token) ? null
                : "The form's CSRF token is missing or not this session's; reload the console and try again.";
    }

    private String loginOrigin(String baseDomain, HttpRequest request) {
        return signIn.settings().origin(signIn.settings().loginHost(baseDomain), request.headers().get(HttpHeaderNames.HOST));
    }

    private static String sessionCookie(HttpRequest request) {
        for (String header : request.headers().getAll(HttpHeaderNames.COOKIE)) {
            for (Cookie cookie : ServerCookieDecoder.LAX.decode(header)) {
                if (cookie.name().equals(SignIn.SESSION_COOKIE) && !cookie.value().isEmpty()) {
                    return cookie.value();
                }
            }
        }
        return null;
    }

    private static void list(ArrayNode into, String commaSeparated) {
        Arrays.stream(commaSeparated.split(",")).map(String::strip).filter(item -> !item.isEmpty()).forEach(into::add);
    }

    private static JsonNode readJson(String text) {
        try {
            return ConsoleAnswers.JSON.readTree(text == null || text.isBlank() ? "{}" : text);
        } catch (java.io.IOException e) {
            return ConsoleAnswers.JSON.createObjectNode();
        }
    }

    private static String messageOf(AccessApi.Answer answer) {
        JsonNode body = readJson(answer.body());
        StringBuilder message = new StringBuilder(body.path("message").asText("The change was refused (" + answer.status() + ")."));
        for (JsonNode error : body.path("errors")) {
            message.append(' ').append(error.path("text").asText());
        }
        return message.toString();
    }

    private static CompletableFuture<FullHttpResponse> notFound() {
        return done(ConsoleAnswers.jsonError(HttpResponseStatus.NOT_FOUND, "not-found", "No such console page."));
    }

    private static CompletableFuture<FullHttpResponse> done(FullHttpResponse response) {
        return CompletableFuture.completedFuture(response);
    }
}
