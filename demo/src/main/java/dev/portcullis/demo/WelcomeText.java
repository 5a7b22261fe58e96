package dev.portcullis.demo;

import static dev.portcullis.demo.Demo.ADMIN_PORT;
import static dev.portcullis.demo.Demo.BASE_DOMAIN;
import static dev.portcullis.demo.Demo.ORG;
import static dev.portcullis.demo.Demo.OWNER;
import static dev.portcullis.demo.Demo.WORKSPACE;

import dev.portcullis.demo.workspace.DemoWorkspace;
import java.io.PrintStream;
import java.nio.file.Path;

/** What the demo prints once it runs: where the workspace is, and lines that work as pasted. */
final class WelcomeText {
    private final DemoWorkspace workspace;
    private final int gatewayPort;
    private final Path caFile;
    private final int adminPort;
    private final String ownerToken;
    private final String adminToken;
    private final Path givenStateDir;

    /** @param givenStateDir the --state-dir given, which {@code ./portcullis token} then needs too; null if none */
    /** @param adminToken a token of {@value Demo#OWNER} as an admin of the org, for the console's one-time link */
    WelcomeText(DemoWorkspace workspace, int gatewayPort, Path caFile, int adminPort, String ownerToken, String adminToken,
                Path givenStateDir) {
        this.workspace = workspace;
        this.gatewayPort = gatewayPort;
        this.caFile = caFile;
        this.adminPort = adminPort;
        this.ownerToken = ownerToken;
        this.adminToken = adminToken;
        this.givenStateDir = givenStateDir;
    }

    void print(PrintStream out) {
        int workspacePort = workspace.port();
        String url = "https://" + workspacePort + "-" + WORKSPACE + "." + BASE_DOMAIN + ":" + gatewayPort + "/";
        String ca = shellQuote(caFile.toAbsolutePath().toString());
        String admin = adminPort == ADMIN_PORT ? "" : " --gateway http://127.0.0.1:" + adminPort;
        String stateOption = givenStateDir == null ? "" : " --state-dir " + shellQuote(givenStateDir.toAbsolutePath().toString());
        String console = "https://login." + BASE_DOMAIN + ":" + gatewayPort + "/";
        String network = workspace.network().map(built -> "\n    (" + built + ")").orElse("");
        out.printf("""

                Portcullis demo is running.

                  The workspace app runs %s%s

                  Workspace '%s' of %s (org %s), port %d, through the gateway:
                    %s

                  Try it as %s, the owner (the token is good for 8 hours):
                    curl --cacert %s -H 'Authorization: Bearer %s' %s

                  In a browser, open the URL and pick a user on the demo provider's login page:
                    %s
                  Trust the demo CA (%s) or accept the warning. A WebSocket echo runs on the page.
                  Sign out (every port host at once): %s.portcullis/logout

                  The console (your workspaces, ports and shares, explain, audit), signed in the same way:
                    %s
                  As %s, admin of %s, to edit and dry-run the org policy (a one-time link, good for 1 hour;
                  open it in a private window, or sign out of the console first):
                    %sconsole/policy?access_token=%s

                  As bob, a teammate in %s: denied until %s shares the port with the org.
                    BOB=$(./portcullis token --user bob --org %s%s)
                    curl --cacert %s -H "Authorization: Bearer $BOB" %s
                    PORTCULLIS_TOKEN=$(./portcullis token --user %s --org %s%s) ./portcullis share %s %d --level organization%s
                  Then bob's curl answers 200; a user of another org still gets 403 with the reason.
                  Policies and shares: ./portcullis policy --help; docs/policy.md.

                  Metrics and health: http://127.0.0.1:%d/metrics, /healthz, /readyz
                  The development issuer is on: never run a gateway like this in production.

                  Press Ctrl-C to stop.

                """, workspace.where(), network,
                WORKSPACE, OWNER, ORG, workspacePort, url,
                OWNER, ca, ownerToken, url,
                url, ca, url,
                console, OWNER, ORG, console, adminToken,
                ORG, OWNER, ORG, stateOption, ca, url, OWNER, ORG, stateOption, WORKSPACE, workspacePort, admin,
                adminPort);
        out.flush();
    }

    private static String shellQuote(String path) {
        return path.matches("[A-Za-z0-9_./-]+") ? path : "'" + path.replace("'", "'\\''") + "'";
    }
}
