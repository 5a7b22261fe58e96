package dev.portcullis.cli.policy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcullis.cli.ExitCode;
import dev.portcullis.cli.WorkspaceIdConverter;
import dev.portcullis.cli.admin.AdminApiClient;
import dev.portcullis.cli.admin.AdminApiOptions;
import dev.portcullis.policy.WorkspaceId;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ports WORKSPACE}: the ports of a workspace as the gateway knows them, the way Codespaces,
 * Gitpod and Coder list them: each port something listens on (as the host agent reports) and each
 * shared one, with its URL and who may open it.
 */
@Command(name = "ports",
         mixinStandardHelpOptions = true,
         description = {
                 "List a workspace's ports: those something listens on and those that are shared, with their URLs and share levels.",
                 "Exit code: 0 listed, 5 gateway unreachable, 6 refused, 2 bad usage." })
public final class PortsCommand implements Callable<Integer> {

    @Parameters(paramLabel = "WORKSPACE", description = "the workspace id", converter = WorkspaceIdConverter.class)
    private WorkspaceId workspace;

    @Option(names = "--json", description = "print the admin API's answer as it is (for scripts)")
    private boolean json;

    @Mixin
    private AdminApiOptions gateway;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        final PrintWriter out = spec.commandLine().getOut();
        final AdminApiClient.Outcome outcome = gateway.client().send(spec.commandLine().getErr(), "ports", "GET",
                "/api/v1/ports/" + AdminApiClient.encode(workspace.value()), "application/json", null);
        if (outcome.failed()) {
            return outcome.exitCode();
        }
        if (json) {
            out.print(outcome.answer().body());
            return ExitCode.OK;
        }
        final JsonNode list = outcome.answer().json();
        if (!list.path("listeningKnown").asBoolean()) {
            out.println(workspace + ": its host agent does not report listening ports; only shared ports are listed");
        }
        if (list.path("ports").isEmpty()) {
            out.println(workspace + ": nothing listens and no port is shared");
            return ExitCode.OK;
        }
        out.printf("%-6s %-8s %-9s %-14s %-14s %s%n", "PORT", "PROTOCOL", "LISTENING", "SHARE", "EFFECTIVE", "URL");
        for (JsonNode port : list.path("ports")) {
            final JsonNode listening = port.path("listening");
            out.printf("%-6d %-8s %-9s %-14s %-14s %s%n", port.path("port").asInt(), port.path("protocol").asText(),
                    listening.isBoolean() ? (listening.asBoolean() ? "yes" : "no") : "unknown",
                    port.path("shareLevel").asText(), port.path("effectiveLevel").asText(), port.path("url").asText());
        }
        return ExitCode.OK;
    }
}
