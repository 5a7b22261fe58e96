package dev.portcullis.cli.policy;

import dev.portcullis.cli.ExitCode;
import dev.portcullis.cli.admin.AdminApiClient;
import dev.portcullis.cli.admin.AdminApiOptions;
import dev.portcullis.policy.OrgPolicy;
import dev.portcullis.policy.parse.ParseResult;
import dev.portcullis.policy.parse.PolicyParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code apply FILE}: validates an org policy here, then has the gateway apply it. The gateway
 * validates it again and applies all of it or nothing.
 */
@Command(name = "apply",
         mixinStandardHelpOptions = true,
         description = {
                 "Apply an org policy to a running gateway (you must be an admin of the org).",
                 "Exit code: 0 applied, 4 invalid (here or at the gateway), 5 gateway unreachable, 6 refused, 2 bad usage." })
final class ApplyCommand implements Callable<Integer> {

    @Parameters(paramLabel = "FILE", description = "the org policy (YAML or JSON)")
    private Path file;

    @Mixin
    private AdminApiOptions gateway;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final ParseResult<OrgPolicy> parsed = new PolicyParser().parsePolicy(file);
        if (!parsed.isSuccess()) {
            parsed.errors().forEach(err::println);
            err.println(file + ": not applied");
            return ExitCode.INVALID_FILE;
        }
        final String org = parsed.orElseThrow().org();
        if (org == null) {
            err.println(file + ": the policy names no org (expected: 'org: <name>', the org it is applied to)");
            return ExitCode.INVALID_FILE;
        }
        final AdminApiClient.Outcome outcome = gateway.client().send(err, "apply", "PUT", "/api/v1/policies/"
                + AdminApiClient.encode(org) + "?source=" + AdminApiClient.encode(file.toString()), "application/yaml",
                Files.readString(file, StandardCharsets.UTF_8));
        if (outcome.answer() != null && outcome.answer().status() == 422) {
            // The gateway's own validation found what this one did not (e.g. a rule about its issuers).
            outcome.answer().json().path("errors").forEach(error -> err.println(error.path("text").asText()));
            err.println(file + ": not applied");
            return ExitCode.INVALID_FILE;
        }
        if (outcome.failed()) {
            return outcome.exitCode();
        }
        out.println(file + ": applied to org " + org);
        return ExitCode.OK;
    }
}
