package dev.portcullis.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.transport.Transport;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A workspace whose host agent reports its listening ports: a request for a port not among them is
 * answered "not served yet" (503, Retry-After) without any connect; a listed port and a workspace
 * whose ports nobody reports are tried as before.
 */
class PortNotListeningTest {
    /** Reports port {@link #trap} as listening. */
    private static final String LISTED = "listed";
    /** Reports that nothing listens. */
    private static final String QUIET = "quiet";
    /** Reports nothing: a static route or an older agent. */
    private static final String UNREPORTED = "unreported";

    @TempDir
    Path state;

    private ServerSocket trap;
    private final AtomicInteger connects = new AtomicInteger();
    private GatewayFixture gateway;

    @BeforeEach
    void start() throws Exception {
        trap = new ServerSocket();
        trap.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0));
        Thread.ofPlatform().daemon().start(this::countConnects);
        gateway = startGateway(config -> { });
    }

    private GatewayFixture startGateway(java.util.function.Consumer<dev.portcullis.gateway.config.GatewayConfig.Builder> more)
            throws Exception {
        InetAddress loopback = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        int port = trap.getLocalPort();
        return GatewayFixture.start(Transport.best(), state, config -> more.accept(config.routes(RouteTable.of(List.of(
                route(LISTED, loopback).withListeningPorts(Set.of(port)),
                route(QUIET, loopback).withListeningPorts(Set.of()),
                route(UNREPORTED, loopback))))));
    }

    private static WorkspaceRoute route(String workspace, InetAddress address) {
        return WorkspaceRoute.owned(workspace, address, true, Set.of(), GatewayFixture.OWNER, GatewayFixture.ORG, Map.of());
    }

    /** Accepts and at once closes every connection the gateway opens to the trap's port, counting them. */
    private void countConnects() {
        while (!trap.isClosed()) {
            try (Socket accepted = trap.accept()) {
                connects.incrementAndGet();
            } catch (IOException closed) {
                return;
            }
        }
    }

    @AfterEach
    void stop() throws IOException {
        if (gateway != null) {
            gateway.close();
        }
        trap.close();
    }

    private HttpResponse<String> get(String workspace, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(gateway.url(trap.getLocalPort(), workspace, "/app"));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return gateway.httpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aPortNobodyListensOnIsAnsweredNotServedYetWithoutAConnect() throws Exception {
        HttpResponse<String> answer = get(QUIET);

        assertThat(answer.statusCode()).isEqualTo(503);
        assertThat(answer.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(answer.headers().firstValue("retry-after")).hasValue("2");
        assertThat(answer.body()).contains("\"error\":\"port-not-served-yet\"")
                .contains("Nothing listens on port " + trap.getLocalPort() + " of workspace 'quiet' yet.");
        assertThat(connects).as("connections the gateway opened to the port").hasValue(0);
    }

    @Test
    void aBrowserGetsThePageThatRetriesByItself() throws Exception {
        HttpResponse<String> answer = get(QUIET, "Sec-Fetch-Mode", "navigate", "Accept", "text/html");

        assertThat(answer.statusCode()).isEqualTo(503);
        assertThat(answer.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
        assertThat(answer.body()).contains("<title>This port is not served yet")
                .contains("listens on port " + trap.getLocalPort() + " yet")
                .contains("<meta name=\"portcullis-retry\" content=\"2\">");
        assertThat(connects).hasValue(0);
    }

    @Test
    void whetherAPortListensIsToldOnlyToThoseWhoMayReachIt() throws Exception {
        gateway.close();
        var issuer = dev.portcullis.gateway.auth.DevelopmentIssuer.loadOrCreate(state.resolve("issuer"));
        var identity = dev.portcullis.gateway.auth.IdentityVerifierConfig.builder().issuer(issuer.issuerConfig()).build();
        gateway = startGateway(config -> config.identity(identity));
        String bob = issuer.mint(new dev.portcullis.gateway.auth.DevelopmentIssuer.Claims("bob", null, "acme", List.of(),
                false, java.time.Duration.ofMinutes(5)));
        String alice = issuer.mint(new dev.portcullis.gateway.auth.DevelopmentIssuer.Claims(GatewayFixture.OWNER, null,
                GatewayFixture.ORG, List.of(), false, java.time.Duration.ofMinutes(5)));

        assertThat(get(QUIET).statusCode()).as("anonymous").isEqualTo(401);
        assertThat(get(QUIET, "Authorization", "Bearer " + bob).statusCode()).as("not shared with bob").isEqualTo(403);
        HttpResponse<String> owner = get(QUIET, "Authorization", "Bearer " + alice);
        assertThat(owner.statusCode()).as("the owner").isEqualTo(503);
        assertThat(owner.body()).contains("port-not-served-yet");
        assertThat(connects).hasValue(0);
    }

    @Test
    void aListedPortAndAWorkspaceWithoutReportedPortsAreTriedAsBefore() throws Exception {
        HttpResponse<String> listed = get(LISTED);
        HttpResponse<String> unreported = get(UNREPORTED);

        // The trap closes every connection before answering: the gateway did connect, then says so.
        assertThat(listed.statusCode()).isEqualTo(502);
        assertThat(listed.body()).contains("\"error\":\"port-not-served\"");
        assertThat(unreported.statusCode()).isEqualTo(502);
        assertThat(connects).as("both requests connected to the port").hasValueGreaterThanOrEqualTo(2);
    }
}
