package dev.portcullis.testkit.browser;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The relay a namespaced browser goes out through, driven over real sockets on loopback. */
class LoopbackSocksRelayTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private ServerSocket echo;
    private LoopbackSocksRelay relay;

    @BeforeEach
    void start() throws IOException {
        echo = new ServerSocket(0, 50, LOOPBACK);
        Thread.ofVirtual().start(() -> {
            try (Socket socket = echo.accept()) {
                socket.getInputStream().transferTo(socket.getOutputStream());
            } catch (IOException ignored) {
                // the test is over
            }
        });
        relay = LoopbackSocksRelay.start(LOOPBACK, Set.of(InetAddress.getByName("10.217.128.254")));
    }

    @AfterEach
    void stop() throws IOException {
        relay.close();
        echo.close();
    }

    @Test
    void relaysAConnectionToLoopbackBothWays() throws IOException {
        try (Socket client = connectThroughRelay(LOOPBACK, echo.getLocalPort())) {
            assertThat(readReply(client)).isEqualTo(90);
            client.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
            client.shutdownOutput();
            assertThat(new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("ping");
        }
    }

    @Test
    void refusesAnAddressThatIsNeitherLoopbackNorNamedByTheTest() throws IOException {
        try (Socket client = connectThroughRelay(InetAddress.getByName("10.217.128.250"), 80)) {
            assertThat(readReply(client)).as("SOCKS4 'request rejected'").isEqualTo(91);
            assertThat(client.getInputStream().read()).as("then the relay closes").isEqualTo(-1);
        }
    }

    @Test
    void allowsLoopbackAndTheNamedAddressesOnly() throws IOException {
        assertThat(relay.allows(InetAddress.getByName("127.0.0.1"))).isTrue();
        assertThat(relay.allows(InetAddress.getByName("127.1.2.3"))).isTrue();
        assertThat(relay.allows(InetAddress.getByName("10.217.128.254"))).isTrue();
        assertThat(relay.allows(InetAddress.getByName("10.217.128.253"))).isFalse();
        assertThat(relay.allows(InetAddress.getByName("192.0.2.2"))).isFalse();
    }

    @Test
    void saysItsAddressAsChromiumsProxyServerFlagTakesIt() {
        assertThat(relay.proxyServer()).matches("socks4://127\\.0\\.0\\.1:\\d+");
    }

    private Socket connectThroughRelay(InetAddress destination, int port) throws IOException {
        String proxy = relay.proxyServer();
        Socket client = new Socket();
        client.connect(new InetSocketAddress(LOOPBACK, Integer.parseInt(proxy.substring(proxy.lastIndexOf(':') + 1))), 5_000);
        client.setSoTimeout(10_000);
        OutputStream out = client.getOutputStream();
        byte[] ip = destination.getAddress();
        out.write(new byte[] {4, 1, (byte) (port >> 8), (byte) port, ip[0], ip[1], ip[2], ip[3], 't', 0});
        out.flush();
        return client;
    }

    private static int readReply(Socket client) throws IOException {
        DataInputStream in = new DataInputStream(client.getInputStream());
        int version = in.readUnsignedByte();
        assertThat(version).as("reply version").isZero();
        int status = in.readUnsignedByte();
        in.readNBytes(6);
        return status;
    }
}
