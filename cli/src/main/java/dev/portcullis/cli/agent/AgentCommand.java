package dev.portcullis.cli.agent;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.portcullis.agent.api.AgentClient;
import dev.portcullis.agent.api.ApiJson;
import dev.portcullis.agent.config.AgentConfig;
import dev.portcullis.agent.config.AgentConfigLoader;
import dev.portcullis.agent.daemon.AgentDaemon;
import dev.portcullis.cli.ExitCode;
import dev.portcullis.cli.RunningUntilStopped;
import dev.portcullis.cli.WorkspaceIdConverter;
import dev.portcullis.config.ConfigException;
import dev.portcullis.policy.WorkspaceId;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code portcullis agent ...}: the daemon ({@code run}) and the commands that talk to it over its socket. */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = "The host agent: one network namespace per workspace (run as root).",
        subcommands = {
            AgentCommand.Run.class, AgentCommand.Create.class, AgentCommand.Delete.class, AgentCommand.Get.class,
            AgentCommand.ListWorkspaces.class, AgentCommand.Rules.class, AgentCommand.Status.class, AgentCommand.Reconcile.class
        })
public final class AgentCommand implements Runnable {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "a subcommand is needed: run, create, delete, get, list, rules, status or reconcile");
    }

    @Command(name = "run", mixinStandardHelpOptions = true, description = "Run the agent: reconcile, then serve the local API until stopped.")
    static final class Run implements Callable<Integer> {
        @Option(names = "--config", required = true, paramLabel = "FILE", description = "agent config file (YAML)")
        Path config;

        @Option(names = "--accept-missing-state", description = "the desired-state file is gone for good: start"
                + " without it and delete every workspace network of this agent's prefixes (without this flag the"
                + " agent refuses to start when the file is missing but its networks exist)")
        boolean acceptMissingState;

        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws InterruptedException {
            AgentConfig loaded;
            try {
                loaded = AgentConfigLoader.load(config).withAcceptMissingState(acceptMissingState);
            } catch (ConfigException e) {
                spec.commandLine().getErr().println("portcullis agent: " + e.getMessage());
                return ExitCode.INVALID_FILE;
            }
            RunningUntilStopped running = new RunningUntilStopped();
            running.add(AgentDaemon.start(loaded)); // stopping it leaves the workspaces' networks; only the API goes away
            running.await();
            return ExitCode.OK;
        }
    }

    /** What every client command shares: where the socket is, and how answers are printed. */
    abstract static class ClientCommand implements Callable<Integer> {
        @Option(names = "--socket", description = "agent socket (default: ${DEFAULT-VALUE})",
                defaultValue = "${env:PORTCULLIS_AGENT_SOCKET:-/run/portcullis/agent.sock}")
        Path socket;

        @Spec
        CommandLine.Model.CommandSpec spec;

        abstract AgentClient.Reply send(AgentClient client) throws IOException;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            AgentClient.Reply reply;
            try {
                reply = send(new AgentClient(socket));
            } catch (IOException e) {
                err.println("portcullis agent: " + e.getMessage());
                return ExitCode.UNREACHABLE;
            }
            if (!reply.ok()) {
                err.println("portcullis agent: " + reply.status() + " " + errorText(reply.body()));
                return ExitCode.REFUSED;
            }
            if (!reply.body().isEmpty()) {
                out.println(reply.body().stripTrailing());
            }
            out.flush();
            return ExitCode.OK;
        }

        private static String errorText(String body) {
            try {
                return ApiJson.MAPPER.readTree(body).path("error").asText(body);
            } catch (IOException e) {
                return body;
            }
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create (or converge) the network of a workspace.")
    static final class Create extends ClientCommand {
        @Parameters(index = "0", description = "workspace id", converter = WorkspaceIdConverter.class) WorkspaceId id;
        @Option(names = "--owner", required = true) String owner;
        @Option(names = "--org", required = true) String org;
        @Option(names = "--address", description = "a free workspace address in the range (default: the agent picks)") String address;
        @Option(names = "--egress-mbit", description = "egress limit in Mbit/s (default: the agent's)") Integer egressMbit;
        @Option(names = "--ingress-mbit", description = "ingress limit in Mbit/s (default: the agent's)") Integer ingressMbit;
        @Option(names = "--weight", description = "share of the host's uplink next to other workspaces, 1-100 (default: 1)") Integer weight;

        @Override
        AgentClient.Reply send(AgentClient client) throws IOException {
            ObjectNode body = ApiJson.MAPPER.createObjectNode().put("id", id.value()).put("owner", owner).put("org", org);
            if (address != null) body.put("address", address);
            if (egressMbit != null) body.put("egressMbit", egressMbit);
            if (ingressMbit != null) body.put("ingressMbit", ingressMbit);
            if (weight != null) body.put("weight", weight);
            return client.send("POST", "/v1/workspaces", ApiJson.MAPPER.writeValueAsString(body));
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete the network of a workspace, leaving nothing behind.")
    static final class Delete extends ClientCommand {
        @Parameters(index = "0", description = "workspace id", converter = WorkspaceIdConverter.class) WorkspaceId id;

        @Override
        AgentClient.Reply send(AgentClient client) throws IOException {
            return client.send("DELETE", "/v1/workspaces/" + AgentClient.pathSegment(id.value()), null);
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "One workspace: desired and actual state side by side.")
    static final class Get extends ClientCommand {
        @Parameters(index = "0", description = "workspace id", converter = WorkspaceIdConverter.class) WorkspaceId id;

        @Override
        AgentClient.Reply send(AgentClient client) throws IOException {
            return client.send("GET", "/v1/workspaces/" + AgentClient.pathSegment(id.value()), null);
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Every workspace: desired and actual state side by side.")
    static final class ListWorkspaces extends ClientCommand {
        @Override
        AgentClient.Reply send(AgentClient client) throws IOException {
            return client.send("GET", "/v1/workspaces", null);
        }
    }

    @Command(name = "rules", mixinStandardHelpOptions = true, description = "The running nftables table of the agent, with counters.")
    static final class Rules extends ClientCommand {
        @Override
        AgentClient.Reply send(AgentClient client) throws IOException {
            return client.send("GET", "/v1/rules", null);
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "The agent: table, range, free addresses, egress shaping, last reconcile.")
    static final class Status extends ClientCommand {
        @Override
        AgentClient.Reply send(AgentClient client) throws IOException {
            return client.send("GET", "/v1/status", null);
        }
    }

    @Command(name = "reconcile", mixinStandardHelpOptions = true, description = "Converge the kernel to the desired state now, and say what changed.")
    static final class Reconcile extends ClientCommand {
        @Override
        AgentClient.Reply send(AgentClient client) throws IOException {
            return client.send("POST", "/v1/reconcile", null);
        }
    }
}
