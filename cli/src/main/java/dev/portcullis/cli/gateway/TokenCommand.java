package dev.portcullis.cli.gateway;

import dev.portcullis.cli.ExitCode;
import dev.portcullis.gateway.auth.DevelopmentIssuer;
import dev.portcullis.gateway.config.GatewayConfigFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./portcullis token}: mints a token with the development issuer of the demo (or of the
 * state folder given), printed alone on stdout so that {@code T=$(./portcullis token ...)} works:
 * a user's ({@code --user}) or a workspace host's agent's ({@code --host}).
 */
@Command(name = "token", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Mint a development token (trusted only by a gateway whose config enables the development issuer).")
public final class TokenCommand implements Callable<Integer> {
    @Option(names = "--user", description = "the user id (sub); a user token")
    String user;

    @Option(names = "--host", description = "a workspace host's name (the agent's hostName): a token its agent publishes"
            + " that host's routes with, through the gateway's host API")
    String host;

    @Option(names = "--org", description = "the user's organization")
    String org;

    @Option(names = "--groups", split = ",", description = "groups, comma-separated")
    List<String> groups = List.of();

    @Option(names = "--email", description = "the email address")
    String email;

    @Option(names = "--admin", description = "an admin of the org: may manage its policy and shares")
    boolean admin;

    @Option(names = "--ttl", defaultValue = "1h", description = "lifetime, e.g. 90s, 15m, 1h, 2d. Default: ${DEFAULT-VALUE}.")
    String ttl;

    @Option(names = "--state-dir", description = "The demo's state folder (where the issuer key is). Default: the demo's.")
    Path stateDir;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if ((user == null) == (host == null)) {
            err.println("portcullis token: give --user <id> for a user's token or --host <name> for an agent's, not "
                    + (user == null ? "neither" : "both"));
            return ExitCode.USAGE;
        }
        if (host != null && (org != null || email != null || admin || !groups.isEmpty())) {
            err.println("portcullis token: --host makes a host's token, which has no --org, --email, --groups or --admin");
            return ExitCode.USAGE;
        }
        Duration lifetime;
        try {
            lifetime = GatewayConfigFile.ConfigDuration.parse(ttl).value();
        } catch (IllegalArgumentException e) {
            err.println("portcullis token: --ttl " + e.getMessage());
            return ExitCode.USAGE;
        }
        Path folder = (stateDir != null ? stateDir : demoStateFolder()).resolve("issuer");
        if (!Files.exists(folder.resolve(DevelopmentIssuer.KEY_FILE))) {
            err.println("portcullis token: no development issuer key in " + folder
                    + " (expected: run './portcullis demo' once, or pass the --state-dir of a gateway that uses one)");
            return ExitCode.FAILED;
        }
        DevelopmentIssuer issuer = DevelopmentIssuer.load(folder.resolve(DevelopmentIssuer.KEY_FILE));
        try {
            out.println(host != null ? issuer.mintHost(host, lifetime)
                    : issuer.mint(new DevelopmentIssuer.Claims(user, email, org, groups, admin, lifetime)));
        } catch (IllegalArgumentException e) {
            err.println("portcullis token: " + e.getMessage());
            return ExitCode.USAGE;
        }
        return ExitCode.OK;
    }

    /**
     * The demo's state folder, found by the same rule as the devkit's {@code DemoStateFolder} (the release
     * ships neither the demo nor the devkit, so this command cannot use that class):
     * {@code $XDG_STATE_HOME/portcullis}, else {@code ~/.local/state/portcullis}.
     */
    private static Path demoStateFolder() {
        String xdg = System.getenv("XDG_STATE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "state");
        return base.resolve("portcullis");
    }
}
