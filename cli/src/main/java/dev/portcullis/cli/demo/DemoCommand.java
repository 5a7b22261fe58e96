package dev.portcullis.cli.demo;

import dev.portcullis.cli.ExitCode;
import dev.portcullis.cli.RunningUntilStopped;
import dev.portcullis.demo.Demo;
import dev.portcullis.demo.workspace.DemoNetworkNames;
import dev.portcullis.gateway.transport.Transport;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code portcullis demo}: starts the demo module's {@link Demo} (a gateway in front of a demo
 * workspace, in a network namespace when it can) and keeps it running until Ctrl-C.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the gateway and a demo workspace on https://*.ws.localhost:8443 (as root: the workspace"
                + " in its own network namespace).")
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--https-port", defaultValue = "" + Demo.HTTPS_PORT, description = "Gateway port (0: any free port). Default: ${DEFAULT-VALUE}.")
    int httpsPort;

    @Option(names = "--admin-port", defaultValue = "" + Demo.ADMIN_PORT,
            description = "Port of the admin listener (metrics, health, the policy and share API) on 127.0.0.1; another free one is used if it is taken (0: any). Default: ${DEFAULT-VALUE}.")
    int adminPort;

    @Option(names = "--workspace-port", defaultValue = "" + Demo.WORKSPACE_PORT,
            description = "Port of the demo workspace app; on loopback another free one is used if it is taken. Default: ${DEFAULT-VALUE}.")
    int workspacePort;

    @Option(names = "--state-dir", paramLabel = "DIR", description = "Where the demo keeps its CA, keys and workspace network state. Default: $XDG_STATE_HOME/portcullis or ~/.local/state/portcullis.")
    Path stateDir;

    @Option(names = "--transport", description = "auto, io_uring, epoll or nio. Default: auto (the best available).")
    String transport = "auto";

    @Option(names = "--idp-port", defaultValue = "" + Demo.IDP_PORT,
            description = "Port of the demo's identity provider on 127.0.0.1 (0: any free port). Default: ${DEFAULT-VALUE}.")
    int idpPort;

    @Option(names = "--no-netns", description = "Run the workspace on loopback even where it could have a network namespace.")
    boolean noNetns;

    /** The demo's tests run demos with names of their own, so they never touch a running demo's objects. */
    @Option(names = "--netns-names", hidden = true, description = "Kernel name prefix (2-5 of a-z, 0-9) instead of the demo's own.")
    String netnsNames;

    @Option(names = "--netns-range", hidden = true, description = "The workspace network's range with --netns-names.")
    String netnsRange;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (DemoCommand.class.getClassLoader().getResource("dev/portcullis/demo/Demo.class") == null) {
            // The demo module is an optional dependency of cli: the release packages leave it out.
            spec.commandLine().getErr().println("portcullis demo: this installation has no demo"
                    + " (expected: run ./portcullis demo in a source tree)");
            return ExitCode.FAILED;
        }
        return Started.run(this);
    }

    /**
     * Everything that uses the demo module's classes, apart from {@link DemoCommand}: the JVM loads
     * them only when this runs, so the commands work where the demo is left out.
     */
    private static final class Started {
        static int run(DemoCommand command) throws Exception {
            Optional<Transport> chosen = Optional.empty();
            if (!command.transport.equalsIgnoreCase("auto")) {
                Transport named = Transport.fromConfigName(command.transport).orElse(null);
                if (named == null || !named.isAvailable()) {
                    command.spec.commandLine().getErr().println("portcullis demo: --transport " + command.transport
                            + " is not usable here" + (named == null ? " (expected: auto, io_uring, epoll or nio)" : ": " + named.unavailabilityCause()));
                    return ExitCode.USAGE;
                }
                chosen = Optional.of(named);
            }
            Optional<DemoNetworkNames> names;
            try {
                names = command.netnsNames == null ? Optional.empty()
                        : Optional.of(Demo.networkNames(command.netnsNames, command.netnsRange));
            } catch (IllegalArgumentException e) {
                command.spec.commandLine().getErr().println("portcullis demo: " + e.getMessage());
                return ExitCode.USAGE;
            }
            Demo.Options options = new Demo.Options(command.httpsPort, command.adminPort, command.workspacePort,
                    command.idpPort, chosen, Optional.ofNullable(command.stateDir), command.noNetns, names);
            Demo demo;
            try {
                demo = Demo.start(options, System.out, System.err);
            } catch (Demo.StartFailed e) {
                command.spec.commandLine().getErr().println("portcullis demo: " + e.getMessage());
                return ExitCode.FAILED;
            }
            RunningUntilStopped running = new RunningUntilStopped();
            running.add(demo);
            running.await();
            return ExitCode.OK;
        }
    }
}
