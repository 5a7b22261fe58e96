package dev.portcullis.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.config.Limits;
import dev.portcullis.gateway.config.Timeouts;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.OrdinaryClient;
import dev.portcullis.gateway.transport.Transport;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit's HTTP/2 slowloris scenario (issue 17, item 2): with {@code maxConnections: 100}, an
 * attacker at 127.0.0.2 opening far more connections that only send the preface and SETTINGS used to
 * lock everyone out. With the per-address limit the attacker gets its share and no more, so an
 * ordinary client at 127.0.0.1, opening a new connection for every request, is still served. The
 * success rate must be 100%; its latency, with the same client's before the attack in the same run,
 * is printed (numbers in docs/security.md), not asserted.
 */
class SlowlorisServedClientTest {
    private static final int ATTACK_CONNECTIONS = 300;
    private static final int ORDINARY_REQUESTS = 100;

    @TempDir
    Path state;

    @Test
    void ordinaryClientIsServedWhileAnotherAddressHoldsPrefaceOnlyConnections() throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(Transport.best(), state,
                // requestHead longer than opening 300 connections takes on a loaded machine: a connection the
                // deadline closed mid-attack would free a slot and let the attacker count more than 50.
                config -> config.limits(new Limits(100, 0, Duration.ofSeconds(2)).withMaxConnectionsPerAddress(50))
                        .timeouts(new Timeouts(Duration.ofSeconds(60), Duration.ofSeconds(2), Duration.ofSeconds(20),
                                Duration.ofMinutes(1))))) {
            OrdinaryClient ordinary = new OrdinaryClient(gateway, null);
            ordinary.run(ORDINARY_REQUESTS); // warm-up (JIT, TLS session code), not counted
            OrdinaryClient.Run baseline = ordinary.run(ORDINARY_REQUESTS); // the same client, same run, no attack
            List<SSLSocket> attack = new ArrayList<>();
            int accepted = 0;
            try {
                InetAddress attacker = InetAddress.getByAddress(new byte[] {127, 0, 0, 2});
                for (int i = 0; i < ATTACK_CONNECTIONS; i++) {
                    try {
                        attack.add(prefaceOnly(gateway, attacker));
                        accepted++;
                    } catch (IOException refused) {
                        // closed at accept: the per-address limit
                    }
                }

                OrdinaryClient.Run during = ordinary.run(ORDINARY_REQUESTS);
                System.out.printf("slowloris h2: attacker connections accepted %d of %d; ordinary client during the attack"
                        + " %s; before it %s%n", accepted, ATTACK_CONNECTIONS, during.summary(), baseline.summary());

                assertThat(baseline.served()).as("ordinary requests served before the attack").isEqualTo(ORDINARY_REQUESTS);
                assertThat(accepted).as("attacker connections accepted").isLessThanOrEqualTo(50);
                assertThat(during.served()).as("ordinary requests served during the attack").isEqualTo(ORDINARY_REQUESTS);
            } finally {
                for (SSLSocket socket : attack) {
                    socket.close();
                }
            }
        }
    }

    /** A TLS connection from {@code local} that sends the HTTP/2 preface and an empty SETTINGS, then nothing. */
    private static SSLSocket prefaceOnly(GatewayFixture gateway, InetAddress local) throws IOException {
        SSLSocket socket = (SSLSocket) gateway.clientTls().getSocketFactory()
                .createSocket(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), gateway.gatewayPort(), local, 0);
        try {
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName("h2.ws.localhost")));
            parameters.setApplicationProtocols(new String[] {"h2"});
            socket.setSSLParameters(parameters);
            socket.setSoTimeout((int) TimeUnit.SECONDS.toMillis(5));
            socket.startHandshake();
            OutputStream out = socket.getOutputStream();
            out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0}); // SETTINGS, empty
            out.flush();
            return socket;
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }
}
