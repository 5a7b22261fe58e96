package dev.portcullis.gateway.admin;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.portcullis.gateway.admin.AccessApi.Answer;
import dev.portcullis.gateway.admin.AccessApi.BadCall;
import dev.portcullis.gateway.auth.DevelopmentIssuer;
import dev.portcullis.gateway.auth.IdentityVerifier;
import dev.portcullis.gateway.auth.VerifiedIdentity;
import dev.portcullis.gateway.route.AddressRange;
import dev.portcullis.policy.WorkspaceId;
import dev.portcullis.store.ConflictException;
import dev.portcullis.store.ControlPlaneStore;
import dev.portcullis.store.KeyValue;
import dev.portcullis.store.KeyValueStore;
import dev.portcullis.store.LeaseLostException;
import dev.portcullis.store.StoreUnavailableException;
import dev.portcullis.store.record.InvalidRecordException;
import dev.portcullis.store.record.RecordCodec;
import dev.portcullis.store.record.RouteRecord;
import dev.portcullis.store.record.StoreKeys;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API for workspace hosts, under {@code /api/v1/hosts/<host>/} on the admin listener:
 * how an agent on a machine whose gateway holds the store (the embedded store is one process's
 * file) publishes its routes. Routes live under a lease the agent keeps alive through this API, so
 * a host that dies loses its routes when the lease's TTL runs out, as with etcd.
 * <ul>
 *   <li>{@code POST leases} ({@code {"ttlSeconds": 10}}): grants a lease, 201 with its id;</li>
 *   <li>{@code PUT leases/<id>}: keeps it alive; {@code DELETE leases/<id>}: revokes it, its routes go now.
 *       A lease that is gone (expired, revoked, unknown here) is 410 {@code lease-gone}: grant a new one
 *       and write every route again;</li>
 *   <li>{@code PUT routes/<workspace>?lease=<id>} with the route record (docs/store.md), {@code DELETE routes/<workspace>}.</li>
 * </ul>
 * The caller's token must carry {@value #HOST_CLAIM} naming the host in the path (403 otherwise);
 * a host never writes over or deletes a route another host owns (409).
 */
public final class HostRoutesApi implements AutoCloseable {
    public static final String PREFIX = "/api/v1/hosts/";
    /** The claim that names the workspace host a token speaks for. */
    public static final String HOST_CLAIM = DevelopmentIssuer.HOST_CLAIM;
    static final Duration DEFAULT_TTL = Duration.ofSeconds(10);
    private static final long MIN_TTL_SECONDS = 2;
    private static final long MAX_TTL_SECONDS = 300;

    private static final Logger log = LoggerFactory.getLogger(HostRoutesApi.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final Pattern LEASES = Pattern.compile("/api/v1/hosts/([^/]+)/leases");
    private static final Pattern LEASE = Pattern.compile("/api/v1/hosts/([^/]+)/leases/([^/]+)");
    private static final Pattern ROUTE = Pattern.compile("/api/v1/hosts/([^/]+)/routes/([^/]+)");
    // "<key>: <field>: ..." as RecordCodec and RouteRecord word it
    private static final Pattern FIELD = Pattern.compile("^(?:\\S+: )?([a-zA-Z]+): .*", Pattern.DOTALL);

    private final IdentityVerifier identity;
    private final ControlPlaneStore store;
    private final HostLeases leases;
    private final List<AddressRange> addressRanges;
    private final ExecutorService calls = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "portcullis-host-api");
        thread.setDaemon(true);
        return thread;
    });

    /** @param addressRanges the networks hosts may publish workspace addresses in */
    public HostRoutesApi(IdentityVerifier identity, ControlPlaneStore store, List<AddressRange> addressRanges) {
        this.identity = requireNonNull(identity, "identity");
        this.store = requireNonNull(store, "store");
        this.addressRanges = List.copyOf(addressRanges);
        this.leases = new HostLeases(store.keyValues());
    }

    /** One call, as the admin listener received it; {@code lease} is the {@code ?lease=} of a route write. */
    public record Call(String method, String path, Optional<String> lease, String authorization, String body) {}

    public CompletableFuture<Answer> handle(Call call) {
        return AuthenticatedCalls.run(identity, call.authorization(), calls, caller -> {
            try {
                return route(call, caller);
            } catch (LeaseLostException lost) {
                return Answer.error(410, "lease-gone", lost.getMessage() + ": grant a new lease and write every route again");
            } catch (StoreUnavailableException unavailable) {
                return Answer.error(503, "store-unavailable", unavailable.getMessage());
            }
        });
    }

    private Answer route(Call call, VerifiedIdentity caller) throws BadCall {
        Matcher matcher;
        if ((matcher = ROUTE.matcher(call.path())).matches()) {
            String host = requireHost(caller, matcher.group(1));
            String workspaceId = workspaceId(matcher.group(2));
            return switch (call.method()) {
                case "PUT" -> putRoute(host, workspaceId, call);
                case "DELETE" -> deleteRoute(host, workspaceId);
                default -> throw new BadCall(405, "method-not-allowed", "Use PUT or DELETE on a host's route.");
            };
        }
        if ((matcher = LEASE.matcher(call.path())).matches()) {
            String host = requireHost(caller, matcher.group(1));
            long id = leaseId(matcher.group(2), "the lease in the path");
            return switch (call.method()) {
                case "PUT" -> leaseAnswer(200, leases.keepAlive(host, id));
                case "DELETE" -> {
                    leases.revoke(host, id);
                    log.info("host {} revoked its lease {}: its routes left the store", host, id);
                    yield new Answer(204, "application/json", "");
                }
                default -> throw new BadCall(405, "method-not-allowed", "Use PUT (keep alive) or DELETE (revoke) on a lease.");
            };
        }
        if ((matcher = LEASES.matcher(call.path())).matches()) {
            String host = requireHost(caller, matcher.group(1));
            if (!call.method().equals("POST")) {
                throw new BadCall(405, "method-not-allowed", "Use POST on leases to grant one.");
            }
            HostLeases.Lease lease = leases.grant(host, ttl(call.body()));
            log.info("host {} was granted lease {} ({})", host, lease.id(), lease.ttl());
            return leaseAnswer(201, lease);
        }
        throw new BadCall(404, "unknown-path", "No such host API path: try " + PREFIX + "<host>/leases[/<id>] or "
                + PREFIX + "<host>/routes/<workspace>.");
    }

    private Answer putRoute(String host, String workspaceId, Call call) throws BadCall {
        HostLeases.Lease lease = leases.current(host, leaseId(call.lease().orElseThrow(() -> new BadCall(400, "missing-lease",
                "The route must be written under the host's lease: add ?lease=<id> (POST " + PREFIX + host
                        + "/leases grants one).")), "lease"));
        RouteRecord route = decode(workspaceId, call.body());
        if (!route.host().equals(host)) {
            throw invalidRoute("host: '" + route.host() + "' (expected: '" + host + "', the host in the path)");
        }
        // A literal (RouteRecord checked it), so this parses and never asks DNS.
        InetAddress address = NetUtil.createInetAddressFromIpAddressString(route.address());
        if (addressRanges.stream().noneMatch(range -> range.contains(address))) {
            throw new BadCall(403, "address-not-trusted", "field 'address': " + route.address() + " is outside the networks"
                    + " hosts may publish (" + addressRanges + ", the gateway's hostRoutes.addressRanges); nothing was written");
        }
        long expected = requireOwnedBy(host, workspaceId).map(KeyValue::modRevision).orElse(KeyValueStore.ABSENT);
        long revision;
        try {
            revision = store.putRoute(route, lease.id(), expected);
        } catch (LeaseLostException e) {
            leases.forget(lease);
            throw e;
        } catch (ConflictException e) {
            throw new BadCall(409, "conflict", e.getMessage());
        }
        log.info("host {} published the route of {} at {} (revision {})", host, workspaceId, route.address(), revision);
        ObjectNode body = JSON.createObjectNode().put("workspace", workspaceId).put("host", host)
                .put("lease", lease.id()).put("revision", revision);
        return Answer.json(200, body);
    }

    private Answer deleteRoute(String host, String workspaceId) throws BadCall {
        Optional<KeyValue> current = requireOwnedBy(host, workspaceId);
        if (current.isEmpty()) {
            return Answer.error(404, "no-route", "There is no route of '" + workspaceId + "'.");
        }
        try {
            store.deleteRoute(workspaceId, current.get().modRevision());
        } catch (ConflictException e) {
            throw new BadCall(409, "conflict", e.getMessage());
        }
        log.info("host {} withdrew the route of {}", host, workspaceId);
        return new Answer(204, "application/json", "");
    }

    /** The route stored now, when {@code host} may change it: it is absent, the host's own, or unreadable (nobody's). */
    private Optional<KeyValue> requireOwnedBy(String host, String workspaceId) throws BadCall {
        String key = StoreKeys.route(workspaceId);
        // A range is by prefix: "routes/ws1" also finds "routes/ws10".
        Optional<KeyValue> current = store.keyValues().range(key).entries().stream()
                .filter(kv -> kv.key().equals(key)).findFirst();
        if (current.isPresent()) {
            String owner;
            try {
                owner = ((RouteRecord) RecordCodec.decode(key, current.get().value())).host();
            } catch (InvalidRecordException e) {
                return current; // gateways skip it: it routes nowhere, so it is nobody's
            }
            if (!owner.equals(host)) {
                throw new BadCall(409, "owned-by-another-host", "The route of '" + workspaceId + "' belongs to host '"
                        + owner + "': a host changes only its own routes.");
            }
        }
        return current;
    }

    private static RouteRecord decode(String workspaceId, String body) throws BadCall {
        try {
            return (RouteRecord) RecordCodec.decode(StoreKeys.route(workspaceId), body.getBytes(StandardCharsets.UTF_8));
        } catch (InvalidRecordException e) {
            throw invalidRoute(e.getMessage());
        }
    }

    private static BadCall invalidRoute(String message) {
        Matcher field = FIELD.matcher(message);
        return new BadCall(422, "invalid-route", (field.matches() ? "field '" + field.group(1) + "': " : "")
                + message + "; nothing was written");
    }

    /** The host in the path, when the caller's token speaks for it. */
    private static String requireHost(VerifiedIdentity caller, String host) throws BadCall {
        Object claim = caller.otherClaims().get(HOST_CLAIM);
        if (!(claim instanceof String tokenHost) || tokenHost.isBlank()) {
            throw new BadCall(403, "not-a-host", "This API is for workspace hosts: the token carries no '" + HOST_CLAIM
                    + "' claim (see docs/security.md, host tokens).");
        }
        if (!tokenHost.equals(host)) {
            throw new BadCall(403, "forbidden", "The token speaks for host '" + tokenHost + "', not '" + host + "'.");
        }
        return host;
    }

    private static String workspaceId(String value) throws BadCall {
        String problem = WorkspaceId.problemWith(value);
        if (problem != null) {
            throw new BadCall(400, "invalid-workspace", "'" + value + "': " + problem);
        }
        return value;
    }

    private static long leaseId(String value, String what) throws BadCall {
        try {
            long id = Long.parseLong(value);
            if (id > 0) {
                return id;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new BadCall(400, "invalid-lease", what + ": '" + value + "' (expected: the lease id a grant returned)");
    }

    private static Duration ttl(String body) throws BadCall {
        JsonNode request;
        try {
            request = JSON.readTree(body == null || body.isBlank() ? "{}" : body);
        } catch (JsonProcessingException e) {
            throw new BadCall(422, "invalid-lease", "The body is not JSON: " + e.getOriginalMessage());
        }
        if (request == null || !request.isObject()) {
            throw new BadCall(422, "invalid-lease", "The body is not a JSON object (expected: {\"ttlSeconds\": 10}).");
        }
        for (var names = request.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!name.equals("ttlSeconds")) {
                throw new BadCall(422, "invalid-lease", "field '" + name + "': unknown (expected: only ttlSeconds)");
            }
        }
        JsonNode ttl = request.get("ttlSeconds");
        if (ttl == null) {
            return DEFAULT_TTL;
        }
        if (!ttl.canConvertToLong() || !ttl.isIntegralNumber() || ttl.asLong() < MIN_TTL_SECONDS || ttl.asLong() > MAX_TTL_SECONDS) {
            throw new BadCall(422, "invalid-lease", "field 'ttlSeconds': " + ttl + " (expected: " + MIN_TTL_SECONDS + "-"
                    + MAX_TTL_SECONDS + ")");
        }
        return Duration.ofSeconds(ttl.asLong());
    }

    private static Answer leaseAnswer(int status, HostLeases.Lease lease) {
        return Answer.json(status, JSON.createObjectNode().put("host", lease.host()).put("lease", lease.id())
                .put("ttlSeconds", lease.ttl().toSeconds()));
    }

    @Override
    public void close() {
        calls.shutdownNow();
    }
}
