package dev.portcullis.devkit.workspace;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * The demo workspace app as the load tests' backend ({@code loadtest/run.sh} ws-idle and fairness):
 * {@code java -cp <loadtest/target/lib/*> dev.portcullis.devkit.workspace.DemoBackend PORT [SECONDS]} listens on
 * 127.0.0.1:PORT and stops by itself after SECONDS (default 900), so a scenario that dies never leaves it behind.
 * Unlike {@link DemoWorkspaceApp#main} it does not watch its standard input: run.sh starts it in the background,
 * where the input is already at its end.
 */
public final class DemoBackend {
    private DemoBackend() {}

    public static void main(String[] args) throws InterruptedException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: DemoBackend PORT [SECONDS] (got " + args.length + " arguments)");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        Duration lifetime = Duration.ofSeconds(args.length > 1 ? Long.parseLong(args[1]) : 900);
        try (DemoWorkspaceApp app = DemoWorkspaceApp.start(ServerSockets.best(), new InetSocketAddress("127.0.0.1", port))) {
            System.out.println("demo workspace app on " + app.address());
            System.out.flush();
            app.awaitClose(lifetime);
        }
    }
}
