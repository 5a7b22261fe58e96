package dev.portcullis.gateway.admin;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.portcullis.gateway.access.AccessSnapshot;
import dev.portcullis.gateway.access.AccessRecords;
import dev.portcullis.gateway.access.Principals;
import dev.portcullis.gateway.access.UserNames;
import dev.portcullis.gateway.auth.IdentityVerifier;
import dev.portcullis.gateway.auth.TokenRejectedException;
import dev.portcullis.gateway.auth.VerifiedIdentity;
import dev.portcullis.gateway.observe.AuditLog;
import dev.portcullis.gateway.route.PortHost;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.policy.Decision;
import dev.portcullis.policy.OrgPolicy;
import dev.portcullis.policy.PolicyEvaluator;
import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.Principal;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.policy.WorkspaceId;
import dev.portcullis.policy.parse.PolicyError;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The admin API for policies and shares, under {@code /api/v1/} on the admin listener. Every call
 * carries a bearer JWT from a trusted issuer; nothing is anonymous.
 * <ul>
 *   <li>{@code GET|PUT|DELETE /api/v1/policies/<org>}: an admin of {@code org} (the admin claim is
 *       {@code true} and the token's org is {@code org});</li>
 *   <li>{@code GET /api/v1/shares/<workspace>}, {@code GET|PUT|DELETE /api/v1/shares/<workspace>/<port>}:
 *       the workspace's owner, or an admin of its org;</li>
 *   <li>{@code GET /api/v1/ports/<workspace>}: the ports it listens on and the shared ones, with URLs and
 *       share levels ({@link PortList}), for the workspace's owner or an admin of its org;</li>
 *   <li>{@code POST /api/v1/explain}: the decision and every reason for a principal (named, or the
 *       person of a pasted bearer {@code token} of the caller's own org) and a URL, for the owner of
 *       the workspace or an admin of its org;</li>
 *   <li>{@code DELETE /api/v1/orgs/<org>/users/<user>/sessions}: an admin of {@code org} ends every
 *       browser session of a person removed from it (their tunnels close within a second).</li>
 * </ul>
 * Calls run one at a time on their own thread, never on an event loop: a change writes and fsyncs,
 * or waits for the store.
 *
 * <p>With a store, a policy's and a share's {@code GET} carry its revision as an {@code ETag};
 * {@code PUT} and {@code DELETE} take it back as {@code If-Match} and fail with 409 when someone
 * changed the record since (without {@code If-Match}: since this gateway last served it).
 */
public final class AccessApi implements AutoCloseable {
    public static final String PREFIX = "/api/v1/";

    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final Pattern POLICY = Pattern.compile("/api/v1/policies/([^/]+)");
    private static final Pattern SHARES = Pattern.compile("/api/v1/shares/([^/]+)");
    private static final Pattern SHARE = Pattern.compile("/api/v1/shares/([^/]+)/(\\d{1,5})");
    private static final Pattern PORTS = Pattern.compile("/api/v1/ports/([^/]+)");
    private static final Pattern USER_SESSIONS = Pattern.compile("/api/v1/orgs/([^/]+)/users/([^/]+)/sessions");

    /** Ends every browser session of a user of an org; blocks until the store has them ended. */
    @FunctionalInterface
    public interface UserSessions {
        int endAllOf(String org, String user);
    }

    private final IdentityVerifier identity;
    private final AccessRecords records;
    private final Supplier<RouteTable> routes;
    private final List<String> baseDomains;
    private final String adminClaim;
    private final Clock clock;
    private final AuditLog audit;
    private volatile UserSessions userSessions;
    private final ExecutorService calls = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "portcullis-admin-api");
        thread.setDaemon(true);
        return thread;
    });

    public AccessApi(IdentityVerifier identity, AccessRecords records, Supplier<RouteTable> routes, List<String> baseDomains,
                     String adminClaim, Clock clock) {
        this(identity, records, routes, baseDomains, adminClaim, clock, null);
    }

    /** @param audit where every change is written with who made it; null for none */
    public AccessApi(IdentityVerifier identity, AccessRecords records, Supplier<RouteTable> routes, List<String> baseDomains,
                     String adminClaim, Clock clock, AuditLog audit) {
        this.audit = audit;
        this.identity = requireNonNull(identity, "identity");
        this.records = requireNonNull(records, "records");
        this.routes = requireNonNull(routes, "routes");
        this.baseDomains = List.copyOf(baseDomains);
        this.adminClaim = requireNonNull(adminClaim, "adminClaim");
        this.clock = requireNonNull(clock, "clock");
    }

    /**
     * Where {@code DELETE /api/v1/orgs/<org>/users/<user>/sessions} ends sessions: the gateway's
     * sessions, once they are open (they start after this API).
     */
    public void endSessionsWith(UserSessions sessions) {
        this.userSessions = requireNonNull(sessions, "sessions");
    }

    /**
     * One call, as the admin listener received it.
     *
     * @param source  how policy errors name the input: the admin's file name, or {@code <org>.yaml}
     * @param ifMatch the {@code If-Match} header: the revision the caller read
     */
    public record Call(String method, String path, Optional<String> source, String authorization, String body,
                       Optional<String> ifMatch) {}

    /** The answer: a status, a content type, a body and, for a versioned record, its revision as an ETag. */
    public record Answer(int status, String contentType, String body, Optional<String> etag) {
        Answer(int status, String contentType, String body) {
            this(status, contentType, body, Optional.empty());
        }

        Answer withRevision(long revision) {
            return revision == AccessRecords.UNVERSIONED ? this
                    : new Answer(status, contentType, body, Optional.of("\"" + revision + "\""));
        }

        static Answer json(int status, JsonNode body) {
            try {
                return new Answer(status, "application/json", JSON.writeValueAsString(body) + "\n");
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }

        static Answer error(int status, String code, String message) {
            ObjectNode body = JSON.createObjectNode().put("status", status).put("error", code).put("message", message);
            return json(status, body);
        }
    }

    public CompletableFuture<Answer> handle(Call call) {
        return AuthenticatedCalls.run(identity, call.authorization(), calls, caller -> answer(call, caller));
    }

    /**
     * The same call for a caller the gateway already knows (the console's signed-in session): the same
     * checks, the same writes and the same audit lines as a call with a bearer token; only the
     * credential differs. {@code call.authorization()} is ignored.
     */
    public CompletableFuture<Answer> handleAs(VerifiedIdentity caller, Call call) {
        requireNonNull(caller, "caller");
        return CompletableFuture.supplyAsync(() -> {
            try {
                return answer(call, caller);
            } catch (BadCall bad) {
                return Answer.error(bad.status, bad.code, bad.getMessage());
            }
        }, calls);
    }

    private Answer answer(Call call, VerifiedIdentity caller) throws BadCall {
        try {
            Answer answer = route(call, caller);
            auditChange(call, caller, answer);
            return answer;
        } catch (AccessRecords.Conflict conflict) {
            ObjectNode body = JSON.createObjectNode().put("status", 409).put("error", "conflict")
                    .put("message", conflict.getMessage()).put("currentRevision", conflict.currentRevision());
            return Answer.json(409, body);
        } catch (AccessRecords.Unavailable unavailable) {
            return Answer.error(503, "store-unavailable", unavailable.getMessage());
        }
    }

    /** Every change that took effect, with who made it, so an owner's or admin's edit can be traced. */
    private void auditChange(Call call, VerifiedIdentity caller, Answer answer) {
        boolean change = call.method().equals("PUT") || call.method().equals("DELETE");
        if (audit != null && change && answer.status() / 100 == 2) {
            Matcher share = SHARE.matcher(call.path());
            Matcher policy = POLICY.matcher(call.path());
            audit.changed(call.method() + " " + call.path(), Principals.of(caller), caller.issuer(),
                    answer.etag().orElse("-"), share.matches() ? share.group(1) : null,
                    policy.matches() ? policy.group(1) : null);
        }
    }

    private Answer route(Call call, VerifiedIdentity caller) throws BadCall {
        Matcher matcher;
        if ((matcher = USER_SESSIONS.matcher(call.path())).matches()) {
            return endUserSessions(caller, call, matcher.group(1),
                    io.netty.handler.codec.http.QueryStringDecoder.decodeComponent(matcher.group(2)));
        }
        if ((matcher = POLICY.matcher(call.path())).matches()) {
            String org = matcher.group(1);
            requireAdminOf(caller, org);
            return switch (call.method()) {
                case "GET" -> records.policyText(org)
                        .map(text -> new Answer(200, "application/yaml; charset=utf-8", text.value()).withRevision(text.revision()))
                        .orElseGet(() -> Answer.error(404, "no-policy", "Org '" + org + "' has no policy of its own."));
                case "PUT" -> putPolicy(org, call);
                case "DELETE" -> records.deletePolicy(org, expectedRevision(call)) ? new Answer(204, "application/json", "")
                        : Answer.error(404, "no-policy", "Org '" + org + "' has no policy of its own.");
                default -> throw new BadCall(405, "method-not-allowed", "Use GET, PUT or DELETE on a policy.");
            };
        }
        if ((matcher = SHARE.matcher(call.path())).matches()) {
            WorkspaceRoute route = requireOwnerOrAdmin(caller, matcher.group(1));
            int port = port(matcher.group(2));
            return switch (call.method()) {
                case "GET" -> getShare(route, port);
                case "PUT" -> putShare(route, port, call.body(), expectedRevision(call));
                case "DELETE" -> records.deleteShare(WorkspaceId.of(route.workspaceId()), port, expectedRevision(call))
                        ? new Answer(204, "application/json", "")
                        : Answer.error(404, "no-share", "Port " + port + " of '" + route.workspaceId() + "' is not shared.");
                default -> throw new BadCall(405, "method-not-allowed", "Use GET, PUT or DELETE on a share.");
            };
        }
        if ((matcher = SHARES.matcher(call.path())).matches()) {
            WorkspaceRoute route = requireOwnerOrAdmin(caller, matcher.group(1));
            if (!call.method().equals("GET")) {
                throw new BadCall(405, "method-not-allowed", "Use GET on a workspace's shares.");
            }
            return Answer.json(200, sharesOf(route));
        }
        if ((matcher = PORTS.matcher(call.path())).matches()) {
            WorkspaceRoute route = requireOwnerOrAdmin(caller, matcher.group(1));
            if (!call.method().equals("GET")) {
                throw new BadCall(405, "method-not-allowed", "Use GET on a workspace's ports.");
            }
            return Answer.json(200, PortList.of(route, records.current().sharesOf(route.workspaceId()), evaluatorOf(route),
                    baseDomains.get(0), clock.instant()));
        }
        if (call.path().equals(PREFIX + "explain")) {
            if (!call.method().equals("POST")) {
                throw new BadCall(405, "method-not-allowed", "Use POST on explain.");
            }
            return explain(caller, call.body());
        }
        throw new BadCall(404, "unknown-path", "No such admin API path: try " + PREFIX + "policies/<org>, "
                + PREFIX + "shares/<workspace>[/<port>], " + PREFIX + "ports/<workspace> or " + PREFIX + "explain.");
    }

    private Answer putPolicy(String org, Call call) throws BadCall {
        String source = call.source().orElse(org + ".yaml");
        List<PolicyError> errors;
        try {
            long revision = records.putPolicy(org, source, call.body(), expectedRevision(call));
            return Answer.json(200, JSON.createObjectNode().put("org", org).put("applied", true)).withRevision(revision);
        } catch (AccessRecords.InvalidPolicy invalid) {
            errors = invalid.errors();
        }
        ArrayNode list = JSON.createArrayNode();
        for (PolicyError error : errors) {
            list.addObject().put("file", error.file()).put("line", error.line()).put("column", error.column())
                    .put("field", error.field()).put("message", error.message()).put("text", error.toString());
        }
        ObjectNode body = JSON.createObjectNode().put("status", 422).put("error", "invalid-policy")
                .put("message", "The policy was not applied: " + errors.size() + " error(s).");
        body.set("errors", list);
        return Answer.json(422, body);
    }

    /** The share of one port as it is served now, with its revision. */
    private Answer getShare(WorkspaceRoute route, int port) {
        PortShare share = records.current().sharesOf(route.workspaceId()).forPort(port);
        if (share == null) {
            return Answer.error(404, "no-share", "Port " + port + " of '" + route.workspaceId() + "' is not shared.");
        }
        ObjectNode answer = JSON.createObjectNode().put("workspace", route.workspaceId());
        answer.set("share", shareJson(share));
        return Answer.json(200, answer).withRevision(records.shareRevisions(route.workspaceId())
                .getOrDefault(port, AccessRecords.UNVERSIONED));
    }

    /** The share as the owner asked, and what it amounts to under the org's limits. */
    private Answer putShare(WorkspaceRoute route, int port, String body, OptionalLong expected) throws BadCall {
        JsonNode request = parseJson(body);
        ShareLevel level = level(request.path("level"), "level");
        Set<String> users = strings(request.path("users"), "users");
        Set<String> groups = strings(request.path("groups"), "groups");
        Set<String> allowedOrigins = strings(request.path("allowedOrigins"), "allowedOrigins");
        Instant expires = null;
        if (request.hasNonNull("expires")) {
            try {
                expires = Instant.parse(request.get("expires").asText());
            } catch (DateTimeParseException e) {
                throw new BadCall(422, "invalid-share", "expires: '" + request.get("expires").asText()
                        + "' (expected: an ISO-8601 instant such as 2026-12-31T18:00:00Z)");
            }
            if (!expires.isAfter(clock.instant())) {
                throw new BadCall(422, "invalid-share", "expires: " + expires + " is in the past (expected: a future instant)");
            }
        }
        PortShare share;
        try {
            share = new PortShare(port, level, qualified(users, route), groups, expires, allowedOrigins);
        } catch (IllegalArgumentException e) {
            throw new BadCall(422, "invalid-share", e.getMessage());
        }
        long revision;
        try {
            revision = records.putShare(WorkspaceId.of(route.workspaceId()), share, expected);
        } catch (IllegalArgumentException e) { // the store refused the record; nothing was written
            throw new BadCall(422, "invalid-share", e.getMessage());
        }
        ObjectNode answer = JSON.createObjectNode().put("workspace", route.workspaceId());
        answer.set("share", shareJson(share));
        ShareLevel max = evaluatorOf(route).maxLevelOf(port);
        ShareLevel effective = ShareLevel.narrowest(level, max);
        answer.put("effectiveLevel", effective.configName());
        if (effective != level) {
            answer.put("note", "The org's policy allows at most '" + max.configName() + "' on port " + port
                    + ": the share admits no one beyond that.");
        }
        return Answer.json(200, answer).withRevision(revision);
    }

    private Answer explain(VerifiedIdentity caller, String body) throws BadCall {
        JsonNode request = parseJson(body);
        if (!request.hasNonNull("url")) {
            throw new BadCall(422, "invalid-explain", "url: missing (expected: the URL of a workspace port)");
        }
        URI url;
        try {
            url = URI.create(request.get("url").asText());
        } catch (IllegalArgumentException e) {
            throw new BadCall(422, "invalid-explain", "url: " + e.getMessage());
        }
        if (!(PortHost.parse(url.getHost() == null ? "" : url.getHost(), baseDomains) instanceof PortHost.WorkspacePort target)) {
            throw new BadCall(422, "invalid-explain", "url: '" + url + "' is not a workspace port under " + baseDomains);
        }
        WorkspaceRoute route = requireOwnerOrAdmin(caller, target.workspaceId());
        Principal principal = Principal.anonymous();
        if (request.hasNonNull("token")) {
            principal = Principals.of(tokenPerson(caller, request.get("token").asText()));
        } else if (request.hasNonNull("user")) {
            Principal.Builder builder;
            try {
                builder = UserNames.principal(request.get("user").asText(), identity.config());
            } catch (IllegalArgumentException e) {
                throw new BadCall(422, "invalid-explain", e.getMessage());
            }
            if (request.hasNonNull("org")) {
                builder.org(request.get("org").asText());
            }
            if (request.hasNonNull("email")) {
                builder.email(request.get("email").asText());
            }
            builder.groups(strings(request.path("groups"), "groups"));
            principal = builder.build();
        }
        String method = request.path("method").asText("GET");
        String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        Decision decision = records.current().decide(principal, route, target.port(), method, path);
        ObjectNode answer = JSON.createObjectNode()
                .put("decision", decision.isAllowed() ? "allow" : "deny")
                .put("principal", principal.isAuthenticated() ? principal.qualifiedId() : "anonymous")
                .put("workspace", route.workspaceId())
                .put("port", target.port())
                .put("method", method)
                .put("path", path);
        ArrayNode reasons = answer.putArray("reasons");
        decision.reasons().forEach(reasons::add);
        return Answer.json(200, answer);
    }

    /**
     * The person a pasted bearer token stands for, verified as the gateway verifies it on a request.
     * Only a person of the caller's own org: an admin explains for their org, an owner (whose
     * workspace {@link #requireOwnerOrAdmin} checked) for their org's people at their own ports.
     */
    private VerifiedIdentity tokenPerson(VerifiedIdentity caller, String token) throws BadCall {
        VerifiedIdentity person;
        try {
            person = identity.verify(token.strip());
        } catch (TokenRejectedException e) {
            throw new BadCall(422, "token-rejected", "token: " + e.getMessage() + " (reason: "
                    + e.reason().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + ")");
        }
        String callerOrg = caller.org().orElse(null);
        String personOrg = person.org().orElse(null);
        if (callerOrg == null || !callerOrg.equals(personOrg) || !person.scope().speaksFor(callerOrg)) {
            throw new BadCall(403, "token-of-another-org", "token: it is " + person.qualifiedUser() + "'s of "
                    + (personOrg == null ? "no org" : "org '" + personOrg + "'") + " (expected: a person of your org '"
                    + callerOrg + "')");
        }
        return person;
    }

    private ObjectNode sharesOf(WorkspaceRoute route) {
        ObjectNode answer = JSON.createObjectNode().put("workspace", route.workspaceId());
        ArrayNode list = answer.putArray("shares");
        PolicyEvaluator evaluator = evaluatorOf(route);
        Map<Integer, Long> revisions = records.shareRevisions(route.workspaceId());
        for (PortShare share : records.current().sharesOf(route.workspaceId()).all()) {
            ObjectNode entry = shareJson(share);
            if (revisions.containsKey(share.port())) {
                entry.put("revision", revisions.get(share.port()));
            }
            entry.put("effectiveLevel", ShareLevel.narrowest(share.level(), evaluator.maxLevelOf(share.port())).configName());
            entry.put("expired", share.expiresAt() != null && !share.expiresAt().isAfter(clock.instant()));
            list.add(entry);
        }
        return answer;
    }

    private static ObjectNode shareJson(PortShare share) {
        ObjectNode entry = JSON.createObjectNode().put("port", share.port()).put("level", share.level().configName());
        share.users().stream().sorted().forEach(entry.putArray("users")::add);
        share.groups().stream().sorted().forEach(entry.putArray("groups")::add);
        if (share.expiresAt() != null) {
            entry.put("expires", share.expiresAt().toString());
        }
        if (!share.allowedOrigins().isEmpty()) {
            share.allowedOrigins().stream().sorted().forEach(entry.putArray("allowedOrigins")::add);
        }
        return entry;
    }

    /** The users of a new share, each named with its issuer, so the record never depends on a later config. */
    private Set<String> qualified(Set<String> users, WorkspaceRoute route) {
        Set<String> named = new java.util.TreeSet<>();
        for (String user : users) {
            named.add(UserNames.qualified(user, route.owner().org(), identity.config()));
        }
        return named;
    }

    private PolicyEvaluator evaluatorOf(WorkspaceRoute route) {
        AccessSnapshot snapshot = records.current();
        OrgPolicy policy = route.owner() == null || route.owner().org() == null ? null : snapshot.policyOf(route.owner().org());
        return new PolicyEvaluator(policy != null ? policy : snapshot.fallbackPolicy());
    }

    private Answer endUserSessions(VerifiedIdentity caller, Call call, String org, String user) throws BadCall {
        requireAdminOf(caller, org);
        if (!call.method().equals("DELETE")) {
            throw new BadCall(405, "method-not-allowed", "Use DELETE on a user's sessions.");
        }
        if (user.isBlank()) {
            throw new BadCall(400, "bad-user", "The user is empty (expected: /api/v1/orgs/<org>/users/<user>/sessions).");
        }
        UserSessions sessions = userSessions;
        if (sessions == null) {
            return Answer.error(503, "sessions-unavailable", "This gateway's sessions are not open yet; try again.");
        }
        int ended = sessions.endAllOf(org, user);
        return Answer.json(200, JSON.createObjectNode().put("org", org).put("user", user).put("sessionsEnded", ended));
    }

    private void requireAdminOf(VerifiedIdentity caller, String org) throws BadCall {
        if (hasAdminClaim(caller) && !caller.adminIssuer()) {
            throw new BadCall(403, "issuer-not-admin", "Issuer '" + caller.issuer() + "' may not carry the admin claim"
                    + " (expected: a token from an issuer configured with 'admin: true').");
        }
        if (!isAdminOf(caller, org)) {
            throw new BadCall(403, "forbidden", "Only an admin of org '" + org + "' may do this (a token with '"
                    + adminClaim + ": true' and org '" + org + "').");
        }
    }

    /**
     * An admin of {@code org}: the admin claim from an admin issuer, and the org claim naming the org
     * (which the verifier accepted only because the issuer is bound to that org). The console asks too.
     */
    public boolean isAdminOf(VerifiedIdentity caller, String org) {
        return org != null && caller.adminIssuer() && hasAdminClaim(caller) && caller.org().equals(Optional.of(org))
               && caller.scope().speaksFor(org);
    }

    /**
     * A bearer token carries the admin claim as a JSON boolean; a browser session keeps claims as
     * strings ({@code "true"}, or a list of one).
     */
    private boolean hasAdminClaim(VerifiedIdentity caller) {
        Object claim = caller.otherClaims().get(adminClaim);
        return Boolean.TRUE.equals(claim) || "true".equals(claim) || List.of("true").equals(claim);
    }

    /** The workspace, when the caller owns it or administers its org; a 404 otherwise says nothing more. */
    private WorkspaceRoute requireOwnerOrAdmin(VerifiedIdentity caller, String workspaceId) throws BadCall {
        if (WorkspaceId.problemWith(workspaceId) != null) {
            throw new BadCall(400, "invalid-workspace", "'" + workspaceId + "': " + WorkspaceId.problemWith(workspaceId));
        }
        WorkspaceRoute route = routes.get().lookup(workspaceId);
        if (route == null || route.owner() == null) {
            throw new BadCall(404, "unknown-workspace", "There is no workspace '" + workspaceId + "' with a known owner.");
        }
        Principal principal = Principals.of(caller);
        if (!principal.isNamedBy(route.owner().ownerUserId(), route.owner().org()) && !isAdminOf(caller, route.owner().org())) {
            throw new BadCall(403, "forbidden", "Only the owner of '" + workspaceId + "' or an admin of its org may do this.");
        }
        return route;
    }

    /** The revision in {@code If-Match} ({@code "12"} or {@code 12}); empty without the header. */
    private static OptionalLong expectedRevision(Call call) throws BadCall {
        if (call.ifMatch().isEmpty()) {
            return OptionalLong.empty();
        }
        String value = call.ifMatch().get().strip();
        if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
            value = value.substring(1, value.length() - 1);
        }
        try {
            long revision = Long.parseLong(value);
            if (revision >= 0) {
                return OptionalLong.of(revision);
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new BadCall(400, "invalid-if-match", "If-Match: '" + call.ifMatch().get()
                + "' (expected: the ETag a GET returned, such as \"12\", or \"0\" for a record that must not exist yet)");
    }

    private static int port(String text) throws BadCall {
        int port = Integer.parseInt(text);
        if (port < 1 || port > 65535) {
            throw new BadCall(400, "invalid-port", "port: " + port + " (expected: 1-65535)");
        }
        return port;
    }

    private static JsonNode parseJson(String body) throws BadCall {
        try {
            JsonNode node = JSON.readTree(body == null || body.isBlank() ? "{}" : body);
            if (!node.isObject()) {
                throw new BadCall(400, "malformed-body", "The body is not a JSON object.");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new BadCall(400, "malformed-body", "The body is not JSON: " + e.getOriginalMessage());
        }
    }

    private static ShareLevel level(JsonNode node, String field) throws BadCall {
        if (!node.isTextual()) {
            throw new BadCall(422, "invalid-share", field + ": missing (expected one of: " + ShareLevel.expectedNames() + ")");
        }
        try {
            return ShareLevel.ofConfigName(node.asText());
        } catch (IllegalArgumentException e) {
            throw new BadCall(422, "invalid-share", e.getMessage());
        }
    }

    private static Set<String> strings(JsonNode node, String field) throws BadCall {
        Set<String> values = new LinkedHashSet<>();
        if (node.isMissingNode() || node.isNull()) {
            return values;
        }
        if (!node.isArray()) {
            throw new BadCall(422, "invalid-share", field + ": expected a list of strings");
        }
        for (JsonNode item : node) {
            if (!item.isTextual() || item.asText().isBlank()) {
                throw new BadCall(422, "invalid-share", field + ": " + item + " (expected: a non-empty string)");
            }
            values.add(item.asText());
        }
        return values;
    }

    @Override
    public void close() {
        calls.shutdownNow();
    }

    /** A call the API refuses, with its status and a stable code. */
    static final class BadCall extends Exception {
        final int status;
        final String code;

        BadCall(int status, String code, String message) {
            super(message, null, false, false);
            this.status = status;
            this.code = code;
        }
    }
}
