package dev.portcullis.gateway.access;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.devkit.workspace.DemoWorkspaceApp;
import dev.portcullis.gateway.auth.DevelopmentIssuer;
import dev.portcullis.gateway.testing.GatewayExtension;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.OnEveryTransport;
import dev.portcullis.gateway.testing.RawHttp2;
import dev.portcullis.gateway.testing.TransportSockets;
import dev.portcullis.gateway.transport.Transport;
import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.policy.WorkspaceId;
import io.netty.handler.codec.http2.Http2Headers;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.Parameter;

/**
 * Every HTTP/2 stream holds a grant of its own, so access that ends for one stream ends that stream
 * (RST_STREAM with CANCEL, what closing a stream's channel sent before streams were handled at the
 * connection) and nothing else: the connection and its other streams go on, and the next request on
 * the connection is checked afresh. All on one connection of a client that coalesces every port host
 * onto it, as browsers do for hosts under one wildcard certificate. The demo workspace belongs to
 * alice; bob is in her org and reaches a port only while it is shared with the org.
 */
@OnEveryTransport
class Http2StreamGrantsTest {
    private static final String SNI = "h2.ws.localhost";
    private static final long REVOKED_WITHIN_SECONDS = 5;

    @Parameter
    Transport transport;

    @RegisterExtension
    static final GatewayExtension GATEWAY = GatewayExtension.builder()
            .configure(GatewayExtension.Configuration.trustingTheDevelopmentIssuer())
            .resetAccessAfterEachTest()
            .build();

    /** A second port of the demo workspace (the route is an address; any port of it is the workspace's). */
    private static DemoWorkspaceApp secondPort;

    private GatewayFixture gateway;
    private AccessState access;
    private DevelopmentIssuer issuer;
    private RawHttp2 connection;

    @BeforeAll
    static void startSecondPort() throws Exception {
        secondPort = DemoWorkspaceApp.start(TransportSockets.of(Transport.NIO),
                new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 0));
    }

    @AfterAll
    static void stopSecondPort() {
        secondPort.close();
    }

    @BeforeEach
    void connect() throws Exception {
        gateway = GATEWAY.fixture();
        access = gateway.server().accessState().orElseThrow();
        issuer = DevelopmentIssuer.loadOrCreate(GATEWAY.stateDir().resolve("issuer"));
        connection = new RawHttp2(GATEWAY.stateDir().resolve("tls/ca.pem"), gateway.gatewayPort(), SNI);
    }

    @AfterEach
    void disconnect() {
        connection.close();
        access.deleteShare(WorkspaceId.of(GatewayFixture.WORKSPACE), secondPort.address().getPort());
    }

    @Test
    void revokingOneStreamsShareResetsThatStreamWhileAnotherPrincipalsStreamOnTheConnectionCompletes() throws Exception {
        shareWithTheOrg(gateway.workspacePort());
        RawHttp2.OpenStream bobs = echo(gateway.workspacePort(), token("bob"));
        RawHttp2.OpenStream alices = echo(gateway.workspacePort(), token(GatewayFixture.OWNER));
        assertThat(bobs.head().get(10, TimeUnit.SECONDS)).isEqualTo("status 200");
        assertThat(alices.head().get(10, TimeUnit.SECONDS)).isEqualTo("status 200");

        access.deleteShare(WorkspaceId.of(GatewayFixture.WORKSPACE), gateway.workspacePort());

        assertThat(bobs.end().get(REVOKED_WITHIN_SECONDS, TimeUnit.SECONDS)).isEqualTo("reset CANCEL");
        alices.finish(" and the rest");
        assertThat(alices.end().get(10, TimeUnit.SECONDS)).isEqualTo("end-stream");
        assertThat(alices.body()).isEqualTo("first part and the rest");
        assertThat(connection.isOpen()).isTrue();
    }

    @Test
    void revokingOnePortsShareResetsOnlyTheStreamToThatPort() throws Exception {
        int first = gateway.workspacePort();
        int second = secondPort.address().getPort();
        shareWithTheOrg(first);
        shareWithTheOrg(second);
        String bob = token("bob");
        RawHttp2.OpenStream toFirst = echo(first, bob);
        assertThat(toFirst.head().get(10, TimeUnit.SECONDS)).isEqualTo("status 200");
        RawHttp2.OpenStream toSecond = echo(second, bob);
        assertThat(toSecond.head().get(10, TimeUnit.SECONDS)).isEqualTo("status 200");

        access.deleteShare(WorkspaceId.of(GatewayFixture.WORKSPACE), first);

        assertThat(toFirst.end().get(REVOKED_WITHIN_SECONDS, TimeUnit.SECONDS)).isEqualTo("reset CANCEL");
        toSecond.finish(" still served");
        assertThat(toSecond.end().get(10, TimeUnit.SECONDS)).isEqualTo("end-stream");
        assertThat(toSecond.body()).isEqualTo("first part still served");
        assertThat(get(second, bob)).isEqualTo("status 200");
        assertThat(get(first, bob)).isEqualTo("status 403");
    }

    @Test
    void aLongFirstStreamIsStillCutWhenItsGrantIsRevokedAfterShortStreamsOfAnotherGrant() throws Exception {
        shareWithTheOrg(gateway.workspacePort());
        String bob = token("bob");
        String alice = token(GatewayFixture.OWNER);
        // A long poll: the workspace answers after a minute, long after the share is gone.
        RawHttp2.OpenStream longPoll = connection.open(request("GET", "/slow?ms=60000", gateway.workspacePort(), bob),
                null, true);
        for (int i = 0; i < 3; i++) {
            assertThat(get(gateway.workspacePort(), alice)).isEqualTo("status 200");
        }
        assertThat(longPoll.end().isDone()).isFalse();

        access.deleteShare(WorkspaceId.of(GatewayFixture.WORKSPACE), gateway.workspacePort());

        assertThat(longPoll.end().get(REVOKED_WITHIN_SECONDS, TimeUnit.SECONDS)).isEqualTo("reset CANCEL");
        assertThat(connection.isOpen()).isTrue();
        assertThat(get(gateway.workspacePort(), bob)).as("bob's next request on the connection").isEqualTo("status 403");
        assertThat(get(gateway.workspacePort(), alice)).isEqualTo("status 200");
    }

    @Test
    void aStreamWhoseTokenExpiresIsResetWhileAStreamWithALaterTokenGoesOn() throws Exception {
        shareWithTheOrg(gateway.workspacePort());
        RawHttp2.OpenStream shortLived = echo(gateway.workspacePort(), token("bob", Duration.ofSeconds(2)));
        RawHttp2.OpenStream lasting = echo(gateway.workspacePort(), token("bob"));
        assertThat(shortLived.head().get(10, TimeUnit.SECONDS)).isEqualTo("status 200");
        assertThat(lasting.head().get(10, TimeUnit.SECONDS)).isEqualTo("status 200");

        assertThat(shortLived.end().get(2 + REVOKED_WITHIN_SECONDS, TimeUnit.SECONDS)).isEqualTo("reset CANCEL");
        lasting.finish(" after the other's end");
        assertThat(lasting.end().get(10, TimeUnit.SECONDS)).isEqualTo("end-stream");
        assertThat(lasting.body()).isEqualTo("first part after the other's end");
        assertThat(connection.isOpen()).isTrue();
    }

    private void shareWithTheOrg(int port) {
        access.putShare(WorkspaceId.of(GatewayFixture.WORKSPACE), PortShare.of(port, ShareLevel.ORGANIZATION));
    }

    private String token(String user) {
        return token(user, Duration.ofMinutes(10));
    }

    private String token(String user, Duration ttl) {
        return issuer.mint(new DevelopmentIssuer.Claims(user, null, GatewayFixture.ORG, List.of(), false, ttl));
    }

    private Http2Headers request(String method, String path, int port, String bearer) {
        Http2Headers headers = RawHttp2.headers().method(method).scheme("https").path(path)
                .authority(gateway.host(port, GatewayFixture.WORKSPACE) + ":" + gateway.gatewayPort());
        headers.add("authorization", "Bearer " + bearer);
        return headers;
    }

    /** A POST /echo whose body goes on until the test ends it: the workspace answers at once and echoes each part. */
    private RawHttp2.OpenStream echo(int port, String bearer) throws Exception {
        return connection.open(request("POST", "/echo", port, bearer), "first part", false);
    }

    /** A GET on the test's connection: how its answer began ({@code "status 403"}). */
    private String get(int port, String bearer) throws Exception {
        RawHttp2.OpenStream stream = connection.open(request("GET", "/", port, bearer), null, true);
        String head = stream.head().get(10, TimeUnit.SECONDS);
        stream.end().get(10, TimeUnit.SECONDS);
        return head;
    }
}
