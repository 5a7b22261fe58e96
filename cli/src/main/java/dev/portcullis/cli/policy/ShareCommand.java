package dev.portcullis.cli.policy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcullis.cli.ExitCode;
import dev.portcullis.cli.WorkspaceIdConverter;
import dev.portcullis.cli.admin.AdminApiClient;
import dev.portcullis.cli.admin.AdminApiOptions;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.policy.WebOrigin;
import dev.portcullis.policy.WorkspaceId;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code share WORKSPACE PORT --level ...}: the owner shares a port of their workspace (an org
 * admin may too); {@code share ls WORKSPACE} lists the shares, {@code share rm WORKSPACE PORT}
 * removes one. The gateway says what the org's policy makes of a share.
 */
@Command(name = "share",
         mixinStandardHelpOptions = true,
         sortOptions = false,
         description = {
                 "Share a port of your workspace: with named users or groups, your org, every signed-in user, or the public.",
                 "The org's policy may narrow a share; the answer says to what.",
                 "Exit code: 0 done, 5 gateway unreachable, 6 refused, 2 bad usage." },
         subcommands = { ShareCommand.ListShares.class, ShareCommand.RemoveShare.class })
public final class ShareCommand implements Callable<Integer> {

    // Not 'required' to picocli: it would then demand them before 'share ls' and 'share rm' too.
    @Parameters(index = "0", arity = "0..1", paramLabel = "WORKSPACE", description = "the workspace id",
                converter = WorkspaceIdConverter.class)
    private WorkspaceId workspace;

    @Parameters(index = "1", arity = "0..1", paramLabel = "PORT", description = "the port to share")
    private Integer port;

    @Option(names = "--level", paramLabel = "LEVEL",
            description = "owner, users, organization, authenticated or public")
    private String level;

    @Option(names = "--users", split = ",", paramLabel = "USER", description = "users admitted by name (level users or wider)")
    private List<String> users = new ArrayList<>();

    @Option(names = "--groups", split = ",", paramLabel = "GROUP", description = "groups admitted by name (level users or wider)")
    private List<String> groups = new ArrayList<>();

    @Option(names = "--expires", paramLabel = "WHEN",
            description = "when the share ends: an ISO-8601 time (2026-12-31T18:00:00Z) or a duration from now (30m, 8h, 7d)")
    private String expires;

    @Option(names = "--allow-origin", split = ",", paramLabel = "ORIGIN",
            description = "another web origin (https://host[:port]) whose pages may send this port cookie-authenticated"
                          + " POSTs and WebSockets, e.g. another port of the same workspace")
    private List<String> allowedOrigins = new ArrayList<>();

    @Mixin
    private AdminApiOptions gateway;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        if (workspace == null || port == null || level == null) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "usage: share WORKSPACE PORT --level LEVEL [--users ...] [--groups ...] [--expires ...] [--allow-origin ...]");
        }
        final Map<String, Object> body = new LinkedHashMap<>();
        try {
            body.put("level", ShareLevel.ofConfigName(level).configName());
            if (expires != null) {
                body.put("expires", expiry(expires).toString());
            }
            for (String origin : allowedOrigins) {
                WebOrigin.parse(origin); // a clear error here rather than a 422 from the gateway
            }
        } catch (IllegalArgumentException e) {
            err.println("share: " + e.getMessage());
            return ExitCode.USAGE;
        }
        body.put("users", users);
        body.put("groups", groups);
        if (!allowedOrigins.isEmpty()) {
            body.put("allowedOrigins", allowedOrigins);
        }
        final AdminApiClient.Outcome outcome = gateway.client().send(err, "share", "PUT",
                "/api/v1/shares/" + AdminApiClient.encode(workspace.value()) + "/" + port, "application/json",
                AdminApiClient.toJson(body));
        if (outcome.failed()) {
            return outcome.exitCode();
        }
        final JsonNode result = outcome.answer().json();
        out.println("port " + port + " of " + workspace + " shared: " + describe(result.path("share")));
        if (result.hasNonNull("note")) {
            out.println("note: " + result.get("note").asText() + " Effective level: " + result.path("effectiveLevel").asText() + ".");
        }
        return ExitCode.OK;
    }

    /** An ISO-8601 instant, or a duration from now like {@code 30m}, {@code 8h}, {@code 7d}. */
    static Instant expiry(String text) {
        final String value = text.trim().toLowerCase(Locale.ROOT);
        if (value.matches("\\d{1,6}[mhd]")) {
            final long amount = Long.parseLong(value.substring(0, value.length() - 1));
            final Duration duration = switch (value.charAt(value.length() - 1)) {
                case 'm' -> Duration.ofMinutes(amount);
                case 'h' -> Duration.ofHours(amount);
                default -> Duration.ofDays(amount);
            };
            return Instant.now().plus(duration);
        }
        try {
            return Instant.parse(text.trim());
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("--expires '" + text + "' (expected: e.g. 2026-12-31T18:00:00Z, 30m, 8h or 7d)", e);
        }
    }

    static String describe(JsonNode share) {
        final StringBuilder text = new StringBuilder(share.path("level").asText());
        if (!share.path("users").isEmpty()) {
            text.append(", users ").append(join(share.path("users")));
        }
        if (!share.path("groups").isEmpty()) {
            text.append(", groups ").append(join(share.path("groups")));
        }
        text.append(share.hasNonNull("expires") ? ", until " + share.get("expires").asText() : ", no expiry");
        if (!share.path("allowedOrigins").isEmpty()) {
            text.append(", also from ").append(join(share.path("allowedOrigins")));
        }
        return text.toString();
    }

    private static String join(JsonNode list) {
        final List<String> values = new ArrayList<>();
        list.forEach(value -> values.add(value.asText()));
        return String.join(",", values);
    }

    @Command(name = "ls", mixinStandardHelpOptions = true, description = "List the shares of a workspace.")
    static final class ListShares implements Callable<Integer> {
        @Parameters(paramLabel = "WORKSPACE", description = "the workspace id", converter = WorkspaceIdConverter.class)
        private WorkspaceId workspace;

        @Mixin
        private AdminApiOptions gateway;

        @CommandLine.Spec
        private CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException, InterruptedException {
            final PrintWriter out = spec.commandLine().getOut();
            final AdminApiClient.Outcome outcome = gateway.client().send(spec.commandLine().getErr(), "share ls", "GET",
                    "/api/v1/shares/" + AdminApiClient.encode(workspace.value()), "application/json", null);
            if (outcome.failed()) {
                return outcome.exitCode();
            }
            final JsonNode shares = outcome.answer().json().path("shares");
            if (shares.isEmpty()) {
                out.println(workspace + ": no port is shared (each port is its owner's alone)");
            }
            out.printf("%-6s %-14s %-14s %s%n", "PORT", "LEVEL", "EFFECTIVE", "DETAILS");
            for (JsonNode share : shares) {
                out.printf("%-6d %-14s %-14s %s%s%n", share.path("port").asInt(), share.path("level").asText(),
                        share.path("effectiveLevel").asText(), describe(share),
                        share.path("expired").asBoolean() ? " (EXPIRED)" : "");
            }
            return ExitCode.OK;
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true, description = "Stop sharing a port: it is its owner's alone again.")
    static final class RemoveShare implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "WORKSPACE", description = "the workspace id", converter = WorkspaceIdConverter.class)
        private WorkspaceId workspace;

        @Parameters(index = "1", paramLabel = "PORT", description = "the port to stop sharing")
        private int port;

        @Mixin
        private AdminApiOptions gateway;

        @CommandLine.Spec
        private CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException, InterruptedException {
            final AdminApiClient.Outcome outcome = gateway.client().send(spec.commandLine().getErr(), "share rm", "DELETE",
                    "/api/v1/shares/" + AdminApiClient.encode(workspace.value()) + "/" + port, "application/json", null);
            if (outcome.failed()) {
                return outcome.exitCode();
            }
            spec.commandLine().getOut().println("port " + port + " of " + workspace + " is no longer shared");
            return ExitCode.OK;
        }
    }
}
