package dev.portcullis.loadtest;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * The small server NetnsChurn starts inside a workspace namespace ({@code ip netns exec}): accepts
 * every connection and closes it at once, so the host can time connects through the agent's table.
 * Prints READY once bound; ends when its stdin closes (the benchmark ended, or died).
 */
public final class WorkspaceAcceptor {

    private WorkspaceAcceptor() {}

    public static void main(String[] args) throws IOException {
        ServerSocket server = new ServerSocket();
        server.bind(new InetSocketAddress(Integer.parseInt(args[0])), 1024);
        Thread watchdog = new Thread(() -> {
            try {
                System.in.transferTo(java.io.OutputStream.nullOutputStream());
            } catch (IOException ignored) {
                // stdin gone either way
            }
            System.exit(0);
        });
        watchdog.setDaemon(true);
        watchdog.start();
        System.out.println("READY");
        System.out.flush();
        while (true) {
            try (Socket ignored = server.accept()) {
                // accepted: the connect the host timed is complete
            }
        }
    }
}
