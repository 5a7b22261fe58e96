package dev.portcullis.cli.policy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcullis.cli.ExitCode;
import dev.portcullis.cli.admin.AdminApiClient;
import dev.portcullis.cli.admin.AdminApiOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.portcullis.policy.Decision;
import dev.portcullis.policy.IssuerScope;
import dev.portcullis.policy.OrgPolicy;
import dev.portcullis.policy.PolicyEvaluator;
import dev.portcullis.policy.PortShares;
import dev.portcullis.policy.Principal;
import dev.portcullis.policy.ReasonText;
import dev.portcullis.policy.Workspace;
import dev.portcullis.policy.parse.ParseResult;
import dev.portcullis.policy.parse.PolicyParser;
import dev.portcullis.policy.parse.SharesFile;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code explain}: the decision for one request, with every reason code spelled out. */
@Command(name = "explain",
         mixinStandardHelpOptions = true,
         sortOptions = false,
         description = {
                 "Show whether a principal may reach a workspace port, and why.",
                 "Exit code: 0 allowed, 3 denied, 4 invalid policy or shares file, 5 gateway unreachable, 6 refused, 2 bad usage." })
final class ExplainCommand implements Callable<Integer> {

    @Option(names = "--policy", paramLabel = "FILE",
            description = "the org policy file; without it, the running gateway is asked (see --gateway)")
    private Path policyFile;

    @Option(names = "--shares", paramLabel = "FILE",
            description = "the workspace's port shares (default: no port is shared)")
    private Path sharesFile;

    @Option(names = "--url", required = true, paramLabel = "URL",
            description = "the port URL requested, e.g. https://3000-ws42.ws.example.com/app")
    private String url;

    @Option(names = "--method", defaultValue = "GET", paramLabel = "METHOD",
            description = "the HTTP method (default: ${DEFAULT-VALUE})")
    private String method;

    @Option(names = "--user", paramLabel = "USER",
            description = "the caller's user id (default: an anonymous caller)")
    private String user;

    @Option(names = "--email", paramLabel = "EMAIL")
    private String email;

    @Option(names = "--org", paramLabel = "ORG", description = "the caller's organization")
    private String org;

    @Option(names = "--groups", split = ",", paramLabel = "GROUP", description = "the caller's groups, comma-separated")
    private List<String> groups = new ArrayList<>();

    @Option(names = "--claim", paramLabel = "NAME=VALUE", description = "another claim of the caller; repeatable")
    private Map<String, String> claims = new LinkedHashMap<>();

    @Option(names = "--workspace-owner", paramLabel = "USER",
            description = "the user id of the workspace's owner (with --policy; the gateway knows it)")
    private String owner;

    @Option(names = "--workspace-org", paramLabel = "ORG",
            description = "the workspace's organization (default: the policy's org)")
    private String workspaceOrg;

    @Option(names = "--label", paramLabel = "NAME=VALUE", description = "a workspace label; repeatable")
    private Map<String, String> labels = new LinkedHashMap<>();

    @Option(names = "--at", paramLabel = "TIME",
            description = "evaluate at this ISO-8601 time instead of now, e.g. to check an expiry")
    private String at;

    @Mixin
    private AdminApiOptions gateway;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (policyFile == null) {
            return askGateway();
        }
        if (owner == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--workspace-owner is needed with --policy");
        }
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final Clock clock;
        final PortUrl target;
        final Principal principal;
        try {
            clock = at == null ? Clock.systemUTC()
                               : Clock.fixed(OffsetDateTime.parse(at).toInstant(), ZoneOffset.UTC);
            target = PortUrl.parse(url);
            principal = principal();
        } catch (IllegalArgumentException | java.time.DateTimeException e) {
            err.println("explain: " + e.getMessage());
            return ExitCode.USAGE;
        }
        final ParseResult<OrgPolicy> policy = new PolicyParser(clock).parsePolicy(policyFile);
        // A stored share whose expiry has passed is not a broken file here but the answer to
        // "why was X denied?": read it as of the epoch, and let the evaluator say share-expired.
        final ParseResult<SharesFile> shares = sharesFile == null ? null
                : new PolicyParser(Clock.fixed(Instant.EPOCH, ZoneOffset.UTC)).parseShares(sharesFile);
        if (!policy.isSuccess() || shares != null && !shares.isSuccess()) {
            policy.errors().forEach(err::println);
            if (shares != null) {
                shares.errors().forEach(err::println);
            }
            return ExitCode.INVALID_FILE;
        }
        if (shares != null && !shares.orElseThrow().workspace().equals(target.workspace())) {
            err.println("explain: " + sharesFile + " holds the shares of workspace " + shares.orElseThrow().workspace()
                        + ", but the URL is for workspace " + target.workspace());
            return ExitCode.USAGE;
        }
        final OrgPolicy orgPolicy = policy.orElseThrow();
        final Workspace.Builder workspace = Workspace.builder(target.workspace(), owner).labels(labels)
                .shares(shares == null ? PortShares.none() : shares.orElseThrow().shares());
        final String wsOrg = workspaceOrg != null ? workspaceOrg : orgPolicy.org();
        if (wsOrg != null) {
            workspace.org(wsOrg);
        }
        final Decision decision = new PolicyEvaluator(orgPolicy, clock)
                .evaluate(principal, workspace.build(), target.port(), method, target.path());
        print(out, target, principal, clock.instant(), decision);
        return decision.isAllowed() ? ExitCode.OK : ExitCode.DENIED;
    }

    /** The gateway's own answer, from the policies and shares it enforces right now. */
    private int askGateway() throws IOException, InterruptedException {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final Principal principal;
        final PortUrl target;
        try {
            target = PortUrl.parse(url);
            principal = principal();
        } catch (IllegalArgumentException e) {
            err.println("explain: " + e.getMessage());
            return ExitCode.USAGE;
        }
        final Map<String, Object> request = new LinkedHashMap<>();
        request.put("url", url);
        request.put("method", method);
        if (principal.isAuthenticated()) {
            request.put("user", principal.qualifiedId());
            request.put("org", principal.org());
            request.put("email", principal.email());
            request.put("groups", principal.groups());
        }
        final AdminApiClient.Outcome outcome = gateway.client().send(err, "explain", "POST", "/api/v1/explain",
                "application/json", AdminApiClient.toJson(request));
        if (outcome.failed()) {
            return outcome.exitCode();
        }
        final JsonNode result = outcome.answer().json();
        final String[] reasons = new String[result.path("reasons").size()];
        for (int i = 0; i < reasons.length; i++) {
            reasons[i] = result.path("reasons").get(i).asText();
        }
        final boolean allowed = "allow".equals(result.path("decision").asText());
        final Decision decision = allowed ? Decision.allow(reasons) : Decision.deny(reasons);
        print(out, target, principal, Instant.now(), decision);
        return allowed ? ExitCode.OK : ExitCode.DENIED;
    }

    private Principal principal() {
        if (user == null) {
            if (email != null || org != null || !groups.isEmpty() || !claims.isEmpty()) {
                throw new IllegalArgumentException(
                        "--email, --org, --groups and --claim describe a user (expected: --user too)");
            }
            return Principal.anonymous();
        }
        // --user bob@corp is subject bob of the issuer aliased corp; the CLI knows no issuer config,
        // so that issuer speaks for every org here (the gateway's explain applies the real bindings).
        final int at = user.lastIndexOf('@');
        final Principal.Builder builder = at > 0
                ? Principal.builder(user.substring(0, at)).issuer(user.substring(at + 1), IssuerScope.ANY)
                : Principal.builder(user);
        builder.groups(groups);
        if (email != null) {
            builder.email(email);
        }
        if (org != null) {
            builder.org(org);
        }
        claims.forEach(builder::claim);
        return builder.build();
    }

    private void print(PrintWriter out, PortUrl target, Principal principal, Instant now, Decision decision) {
        out.println("request:   " + method + ' ' + target.path() + " on port " + target.port()
                    + " of workspace " + target.workspace());
        out.println("principal: " + (principal.isAuthenticated()
                                     ? principal.qualifiedId() + " (org " + (principal.org() == null ? "none" : principal.org())
                                       + ", groups " + principal.groups() + ')'
                                     : "anonymous"));
        out.println("time:      " + now);
        out.println("decision:  " + (decision.isAllowed() ? "ALLOW" : "DENY"));
        out.println("reasons:");
        for (String reason : decision.reasons()) {
            out.printf("  %-40s %s%n", reason, ReasonText.of(reason));
        }
    }
}
