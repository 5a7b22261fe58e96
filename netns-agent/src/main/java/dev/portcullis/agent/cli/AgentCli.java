package dev.portcullis.agent.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.portcullis.agent.api.ApiJson;
import dev.portcullis.agent.config.AgentConfig;
import dev.portcullis.agent.config.AgentConfigLoader;
import dev.portcullis.config.ConfigException;
import dev.portcullis.policy.WorkspaceId;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** `portcullis agent ...`: the daemon (`run`) and the commands that talk to it over its socket. */
@Command(name = "portcullis agent", mixinStandardHelpOptions = true,
        description = "The host agent: one network namespace per workspace (run as root).",
        subcommands = {
            AgentCli.Run.class, AgentCli.Create.class, AgentCli.Delete.class, AgentCli.Get.class,
            AgentCli.ListWorkspaces.class, AgentCli.Rules.class, AgentCli.Status.class, AgentCli.Reconcile.class
        })
public final class AgentCli implements Runnable {

    /** The agent refused the request (4xx/5xx). */
    static final int REFUSED = 1;
    /** The agent could not be reached, or the config is wrong. */
    static final int UNAVAILABLE = 3;

    @Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        // A failure the operator can act on is one line on stderr, not a stack trace.
        return new CommandLine(new AgentCli()).setExecutionExceptionHandler((e, cli, parsed) -> {
            cli.getErr().println("portcullis agent: " + e.getMessage());
            return UNAVAILABLE;
        });
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "run", mixinStandardHelpOptions = true, description = "Run the agent: reconcile, then serve the local API until stopped.")
    static final class Run implements Callable<Integer> {
        @Option(names = "--config", required = true, description = "agent config file (YAML)")
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
                return UNAVAILABLE;
            }
            AgentDaemon daemon = AgentDaemon.start(loaded);
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                daemon.close(); // workspaces keep their networks; only the API goes away
                stopped.countDown();
            }, "agent-shutdown"));
            stopped.await();
            return 0;
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
                return UNAVAILABLE;
            }
            if (!reply.ok()) {
                err.println("portcullis agent: " + reply.status() + " " + errorText(reply.body()));
                return REFUSED;
            }
            if (!reply.body().isEmpty()) {
                out.println(reply.body().stripTrailing());
            }
            out.flush();
            return 0;
        }

        private static String errorText(String body) {
            try {
                return ApiJson.MAPPER.readTree(body).path("error").asText(body);
            } catch (IOException e) {
                return body;
            }
        }
    }

    /**
     * The API's own id rule, applied before anything is sent: an id is put into the request's path,
     * where '?', '#', '/', CR/LF or non-ASCII would address another workspace or inject a header.
     */
    static final class WorkspaceIdConverter implements CommandLine.ITypeConverter<WorkspaceId> {
        @Override
        public WorkspaceId convert(String value) {
            String problem = WorkspaceId.problemWith(value);
            if (problem != null) {
                throw new CommandLine.TypeConversionException(problem.replace("\r", "\\r").replace("\n", "\\n"));
            }
            return WorkspaceId.of(value);
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
