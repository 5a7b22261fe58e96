package dev.portcullis.loadtest.jmh;

import dev.portcullis.gateway.access.AccessControl;
import dev.portcullis.gateway.access.AccessState;
import dev.portcullis.gateway.access.ConnectionAccess;
import dev.portcullis.gateway.access.IdentityAssertions;
import dev.portcullis.gateway.access.OpenGrants;
import dev.portcullis.gateway.auth.DevelopmentIssuer;
import dev.portcullis.gateway.auth.IdentityVerifier;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.auth.LocalKeys;
import dev.portcullis.gateway.observe.AuditLog;
import dev.portcullis.gateway.observe.GatewayMetrics;
import dev.portcullis.gateway.proxy.RequestAccess;
import dev.portcullis.gateway.route.PortHost;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.gateway.signin.Sessions;
import dev.portcullis.policy.OrgPolicy;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.store.embedded.EmbeddedStore;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The access check of one HTTP/1.1 request with a bearer token, as the proxy runs it on the event
 * loop ({@link RequestAccess#check}), over the real verifier, policy, audit log, grants and metrics:
 * <ul>
 *   <li>{@link #baselineCopyHead}: only the copy of the head for the workspace, which every case makes
 *       (the check strips credentials from it), so the others minus this are the check's cost;</li>
 *   <li>{@link #warmConnection}: the same token and target again on the same connection;</li>
 *   <li>{@link #coldConnection}: each request as on a new connection: the token is in the verifier's
 *       cache (hashed to find it), the policy decides, the allow is audited (as every request was
 *       before connections remembered what they proved).</li>
 * </ul>
 */
@State(Scope.Benchmark)
// Per-operation samples and their median: on a machine shared with other work an average is mostly
// the time this thread was not scheduled; most single operations are not interrupted at all.
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class AccessCheckBenchmark {
    private static final String WORKSPACE = "demo";
    private static final int PORT = 3000;

    private Path folder;
    private IdentityVerifier verifier;
    private OpenGrants grants;
    private Sessions sessions;
    private AccessControl access;
    private RouteTable routes;
    private HttpRequest request;
    private PortHost.WorkspacePort target;
    private InetSocketAddress client;
    private ConnectionAccess warm;

    @Setup
    public void setUp() throws Exception {
        folder = Files.createTempDirectory("access-bench");
        DevelopmentIssuer issuer = DevelopmentIssuer.loadOrCreate(folder);
        verifier = IdentityVerifier.create(IdentityVerifierConfig.builder().issuer(issuer.issuerConfig()).build());
        InetAddress loopback = InetAddress.getLoopbackAddress();
        routes = RouteTable.of(List.of(WorkspaceRoute.owned(WORKSPACE, loopback, true, Set.of(), "alice", "acme", Map.of())));
        AccessState state = AccessState.inMemory(OrgPolicy.builder(ShareLevel.ORGANIZATION).build());
        AuditLog audit = new AuditLog(new GatewayMetrics());
        grants = new OpenGrants(() -> routes, state::current, audit, Clock.systemUTC());
        sessions = new Sessions(EmbeddedStore.inMemory(), true, Clock.systemUTC(), verifier);
        access = new AccessControl(verifier, state::current, audit, grants, sessions,
                new IdentityAssertions(LocalKeys.newEcKey("bench"), Duration.ofMinutes(5), Clock.systemUTC()),
                Optional.empty());
        String token = issuer.mint(new DevelopmentIssuer.Claims("alice", null, "acme", List.of(), false,
                Duration.ofHours(1)));
        target = new PortHost.WorkspacePort(PORT, WORKSPACE, "ws.localhost");
        client = new InetSocketAddress(loopback, 50_000);
        request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/api/items?page=2");
        request.headers().set(HttpHeaderNames.HOST, PORT + "-" + WORKSPACE + ".ws.localhost")
                .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token)
                .set(HttpHeaderNames.ACCEPT, "application/json")
                .set(HttpHeaderNames.USER_AGENT, "access-bench");
        warm = new ConnectionAccess();
        RequestAccess.Verdict first = check(warm);
        if (!first.getClass().getSimpleName().equals("Allowed")) {
            throw new IllegalStateException("the benchmark's request is not allowed: " + first);
        }
    }

    @TearDown
    public void tearDown() throws Exception {
        grants.close();
        sessions.close();
        verifier.close();
    }

    private HttpRequest forwardedCopy() {
        return new DefaultHttpRequest(request.protocolVersion(), request.method(), request.uri(), request.headers().copy());
    }

    private RequestAccess.Verdict check(ConnectionAccess connection) {
        return RequestAccess.check(access, connection, request, forwardedCopy(), target, () -> routes, client,
                later -> { throw new IllegalStateException("the check waited: " + later); });
    }

    @Benchmark
    public HttpRequest baselineCopyHead() {
        return forwardedCopy();
    }

    @Benchmark
    public RequestAccess.Verdict warmConnection() {
        return check(warm);
    }

    @Benchmark
    public RequestAccess.Verdict coldConnection() {
        return check(new ConnectionAccess());
    }
}
