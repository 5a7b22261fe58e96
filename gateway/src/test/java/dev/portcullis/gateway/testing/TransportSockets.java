package dev.portcullis.gateway.testing;

import dev.portcullis.devkit.workspace.ServerSockets;
import dev.portcullis.gateway.transport.Transport;

/** The devkit's workspace app on the gateway's transport under test. */
public final class TransportSockets {
    private TransportSockets() {}

    public static ServerSockets of(Transport transport) {
        return new ServerSockets(transport::newEventLoopGroup, transport.serverChannelClass());
    }
}
