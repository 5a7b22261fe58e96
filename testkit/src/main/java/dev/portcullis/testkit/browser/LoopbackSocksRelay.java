package dev.portcullis.testkit.browser;

import static java.util.Objects.requireNonNull;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The namespaced browser's only way out: a SOCKS4 proxy on the host end of its veth that connects
 * to loopback (where the tests' gateways, IdPs and apps listen) and to the addresses the test names
 * (inside namespaces the test made), and refuses everything else. Chromium resolves names itself
 * with SOCKS4 (its {@code --host-resolver-rules} and {@code *.localhost} keep working) and sends the
 * relay an IPv4 address. The servers see the connection come from loopback, as from a browser on
 * the host.
 *
 * <p>Hand-written rather than Netty's socks codec: SOCKS4's CONNECT is one 8-byte header and a
 * NUL-ended user id, and a blocking copy on two virtual threads per connection is all the relaying
 * a test browser needs, without making Netty a dependency of every module's browser tests.
 */
final class LoopbackSocksRelay implements AutoCloseable {
    private static final int VERSION = 4;
    private static final int CONNECT = 1;
    private static final int GRANTED = 90;
    private static final int REJECTED = 91;
    private static final int CONNECT_TIMEOUT_MILLIS = 10_000;

    private final ServerSocket server;
    private final Set<InetAddress> alsoReachable;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();

    private LoopbackSocksRelay(ServerSocket server, Set<InetAddress> alsoReachable) {
        this.server = server;
        this.alsoReachable = alsoReachable;
    }

    /** Listens on {@code address} (port chosen by the OS); {@code alsoReachable} are allowed besides loopback. */
    static LoopbackSocksRelay start(InetAddress address, Set<InetAddress> alsoReachable) throws IOException {
        ServerSocket server = new ServerSocket();
        server.bind(new InetSocketAddress(requireNonNull(address, "address"), 0));
        LoopbackSocksRelay relay = new LoopbackSocksRelay(server, Set.copyOf(alsoReachable));
        Thread.ofVirtual().name("socks-relay-accept-" + server.getLocalPort()).start(relay::acceptLoop);
        return relay;
    }

    /** {@code socks4://address:port}, for Chromium's {@code --proxy-server}. */
    String proxyServer() {
        return "socks4://" + server.getInetAddress().getHostAddress() + ":" + server.getLocalPort();
    }

    boolean allows(InetAddress destination) {
        return destination.isLoopbackAddress() || alsoReachable.contains(destination);
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                open.add(client);
                Thread.ofVirtual().name("socks-relay-" + client.getPort()).start(() -> serve(client));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket client) {
        Socket upstream = null;
        try {
            DataInputStream in = new DataInputStream(client.getInputStream());
            int version = in.readUnsignedByte();
            int command = in.readUnsignedByte();
            int port = in.readUnsignedShort();
            byte[] ip = in.readNBytes(4);
            while (in.readUnsignedByte() != 0) {
                // the user id, ignored
            }
            InetAddress destination = InetAddress.getByAddress(ip);
            if (version != VERSION || command != CONNECT || ip.length != 4 || !allows(destination)) {
                reply(client.getOutputStream(), REJECTED);
                return;
            }
            upstream = new Socket();
            open.add(upstream);
            try {
                upstream.connect(new InetSocketAddress(destination, port), CONNECT_TIMEOUT_MILLIS);
            } catch (IOException e) {
                reply(client.getOutputStream(), REJECTED);
                return;
            }
            reply(client.getOutputStream(), GRANTED);
            Socket server = upstream;
            Thread toServer = Thread.ofVirtual().start(() -> copy(client, server));
            copy(server, client);
            toServer.join();
        } catch (IOException e) {
            // The browser or the server went away; both sockets are closed below.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeQuietly(client);
            if (upstream != null) {
                closeQuietly(upstream);
            }
        }
    }

    /** Copies until {@code from} ends, then half-closes {@code to}, so the other direction can finish. */
    private void copy(Socket from, Socket to) {
        try {
            from.getInputStream().transferTo(to.getOutputStream());
            to.shutdownOutput();
        } catch (IOException e) {
            // A reset, or a close from the other direction: both ends go.
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void reply(OutputStream out, int status) throws IOException {
        out.write(new byte[] {0, (byte) status, 0, 0, 0, 0, 0, 0});
        out.flush();
    }

    private void closeQuietly(Socket socket) {
        open.remove(socket);
        try {
            socket.close();
        } catch (IOException e) {
            // nothing left to do
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        open.forEach(socket -> {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        });
        open.clear();
    }
}
