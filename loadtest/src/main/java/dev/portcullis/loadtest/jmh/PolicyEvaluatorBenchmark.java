package dev.portcullis.loadtest.jmh;

import dev.portcullis.policy.Decision;
import dev.portcullis.policy.OrgPolicy;
import dev.portcullis.policy.PolicyEvaluator;
import dev.portcullis.policy.PortShares;
import dev.portcullis.policy.Principal;
import dev.portcullis.policy.Workspace;
import dev.portcullis.policy.WorkspaceId;
import dev.portcullis.policy.parse.PolicyParser;
import dev.portcullis.policy.parse.SharesFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The policy decision the gateway makes on every request, against the example org policy of
 * {@code policy/examples} (port rules, deny and allow rules with groups, labels, methods and paths)
 * and the example shares. {@link #baselineShareLookup} is the least any decision must do (find the
 * port's share): the report gives each case as a ratio to it, measured in the same run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PolicyEvaluatorBenchmark {
    private PolicyEvaluator evaluator;
    private Workspace ws42;
    private PortShares shares;
    private Principal owner;
    private Principal orgMember;
    private Principal outsider;
    private Principal contractor;
    private Principal sre;

    @Setup
    public void setUp() throws IOException {
        // Shares are read as of the epoch so that the example's expiry never makes the file invalid.
        PolicyParser parser = new PolicyParser(Clock.fixed(Instant.EPOCH, ZoneOffset.UTC));
        OrgPolicy policy = parser.parsePolicy("org-policy.yaml", resource("org-policy.yaml")).orElseThrow();
        SharesFile sharesFile = parser.parseShares("shares-ws42.yaml", resource("shares-ws42.yaml")).orElseThrow();
        evaluator = new PolicyEvaluator(policy);
        shares = sharesFile.shares();
        ws42 = Workspace.builder(WorkspaceId.of("ws42"), "alice").org("acme").label("env", "dev").shares(shares).build();
        owner = Principal.builder("alice").org("acme").groups("dev").build();
        orgMember = Principal.builder("bob").org("acme").email("bob@acme.example").groups("dev", "reviewers").build();
        outsider = Principal.builder("eve").org("globex").email("eve@globex.example").build();
        contractor = Principal.builder("carl").org("acme").groups("contractors").build();
        sre = Principal.builder("sam").org("acme").groups("sre").build();
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = PolicyEvaluatorBenchmark.class.getResourceAsStream("/policy-examples/" + name)) {
            if (in == null) {
                throw new IOException("policy-examples/" + name + " is not on the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Benchmark
    public Object baselineShareLookup() {
        return shares.forPort(8080);
    }

    @Benchmark
    public Decision ownerAllowed() {
        return evaluator.evaluate(owner, ws42, 8080, "GET", "/app/index.html");
    }

    @Benchmark
    public Decision orgMemberOnAnOrgShare() {
        return evaluator.evaluate(orgMember, ws42, 8080, "POST", "/api/items");
    }

    @Benchmark
    public Decision outsiderDenied() {
        return evaluator.evaluate(outsider, ws42, 8080, "GET", "/");
    }

    @Benchmark
    public Decision anonymousOnAPublicShare() {
        return evaluator.evaluate(Principal.anonymous(), ws42, 3000, "GET", "/");
    }

    @Benchmark
    public Decision denyRuleWins() {
        return evaluator.evaluate(contractor, ws42, 5432, "GET", "/");
    }

    @Benchmark
    public Decision allowRuleWithPathPrefix() {
        return evaluator.evaluate(sre, ws42, 9090, "GET", "/metrics");
    }
}
