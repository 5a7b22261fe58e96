package dev.portcullis.demo.workspace;

import dev.portcullis.devkit.workspace.ServerSockets;
import dev.portcullis.gateway.config.GatewayConfig;
import dev.portcullis.gateway.route.AddressRange;
import dev.portcullis.devkit.workspace.DemoWorkspaceApp;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.gateway.transport.Transport;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The demo workspace app on 127.0.0.1, in the demo's own process: what every machine can run. */
public final class LoopbackWorkspace implements DemoWorkspace {
    private static final InetAddress LOOPBACK = ipv4Loopback();

    private final DemoWorkspaceApp app;
    private final String reason;
    private final DemoWorkspaceSpec spec;

    private LoopbackWorkspace(DemoWorkspaceApp app, String reason, DemoWorkspaceSpec spec) {
        this.app = app;
        this.reason = reason;
        this.spec = spec;
    }

    /**
     * @param reason why the workspace is not in a network namespace, shown on the console and the page
     */
    public static LoopbackWorkspace start(Transport transport, DemoWorkspaceSpec spec, String reason)
            throws InterruptedException {
        int port = isFree(spec.port()) ? spec.port() : 0; // a taken port is no reason to fail a demo
        DemoWorkspaceApp app = DemoWorkspaceApp.start(new ServerSockets(transport::newEventLoopGroup, transport.serverChannelClass()),
                new InetSocketAddress(LOOPBACK, port), null,
                "on loopback (" + reason + ")");
        return new LoopbackWorkspace(app, reason, spec);
    }

    @Override
    public int port() {
        return app.address().getPort();
    }

    @Override
    public String where() {
        return "on loopback: " + reason;
    }

    @Override
    public Optional<String> network() {
        return Optional.empty();
    }

    @Override
    public void routeTo(GatewayConfig.Builder config) {
        config.routes(RouteTable.of(List.of(route())));
        // Loopback is the gateway's own host: allowed only because the demo names it (development only).
        config.workspaceAddressRanges(List.of(AddressRange.parse("127.0.0.0/8")));
    }

    /**
     * No agent watches loopback for listening ports: the demo knows its one app's port and says so,
     * so the console lists it before anything is shared, as it would with a namespace.
     */
    WorkspaceRoute route() {
        return WorkspaceRoute.owned(spec.id().value(), LOOPBACK, true, Set.of(), spec.owner(), spec.org(), Map.of())
                .withListeningPorts(Set.of(port()));
    }

    @Override
    public void close() {
        app.close();
    }

    private static InetAddress ipv4Loopback() {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException("four bytes are an IPv4 address", e);
        }
    }

    private static boolean isFree(int port) {
        try {
            new ServerSocket(port, 1, LOOPBACK).close();
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
