package dev.portcullis.gateway.access;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.util.Base64URL;
import dev.portcullis.gateway.auth.DevelopmentIssuer;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.config.AccessSettings;
import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.testing.RawHttps;
import dev.portcullis.gateway.transport.Transport;
import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.policy.WorkspaceId;
import dev.portcullis.store.StoreSettings;
import dev.portcullis.store.etcd.EtcdCluster;
import java.math.BigInteger;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The outside audit's three findings on the {@code ?access_token=} exchange, each reproduced:
 * login CSRF, open redirect, a one-time link replayed by re-encoding the token; and the one-time
 * memory surviving a restart and holding on a second gateway of the same store.
 */
class UrlTokenExchangeTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** The order of the P-256 group: (r, s) and (r, n - s) are both valid ECDSA signatures. */
    private static final BigInteger P256_ORDER =
            new BigInteger("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16);

    @TempDir
    Path state;

    private DevelopmentIssuer issuer;
    private GatewayFixture gateway;

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    private GatewayFixture start(Consumer<dev.portcullis.gateway.config.GatewayConfig.Builder> more) throws Exception {
        issuer = DevelopmentIssuer.loadOrCreate(state.resolve("issuer"));
        IdentityVerifierConfig identity = IdentityVerifierConfig.builder().issuer(issuer.issuerConfig()).build();
        return GatewayFixture.start(Transport.best(), state, config -> {
            config.identity(identity);
            more.accept(config);
        });
    }

    private String token(String user) {
        return issuer.mint(new DevelopmentIssuer.Claims(user, null, "acme", List.of(), false, Duration.ofMinutes(10)));
    }

    private HttpResponse<String> open(GatewayFixture on, String token, String... headers) throws Exception {
        return open(on, on.workspacePort(), token, headers);
    }

    /** Opens the link of workspace port {@code port} through {@code on} (the exchange never reaches the workspace). */
    private HttpResponse<String> open(GatewayFixture on, int port, String token, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(on.url(port, GatewayFixture.WORKSPACE,
                "/page?access_token=" + token)).timeout(TIMEOUT);
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return on.httpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    // ---- login CSRF

    @Test
    void aTokenOnAnImageRequestSetsNoCookie() throws Exception {
        gateway = start(config -> { });
        HttpResponse<String> answer = open(gateway, token("alice"), "Sec-Fetch-Dest", "image", "Sec-Fetch-Mode", "no-cors");

        assertThat(answer.statusCode()).isEqualTo(400);
        assertThat(answer.body()).contains("query-token-not-allowed").contains("Sec-Fetch-Dest: image");
        assertThat(answer.headers().firstValue("set-cookie")).isEmpty();
    }

    @Test
    void aTokenOnALinkFromAnotherSiteSetsNoCookie() throws Exception {
        gateway = start(config -> { });
        HttpResponse<String> answer = open(gateway, token("alice"), "Sec-Fetch-Site", "cross-site",
                "Sec-Fetch-Mode", "navigate", "Sec-Fetch-Dest", "document");

        assertThat(answer.statusCode()).isEqualTo(400);
        assertThat(answer.body()).contains("Sec-Fetch-Site: cross-site");
        assertThat(answer.headers().firstValue("set-cookie")).isEmpty();
    }

    @Test
    void aTokenThePolicyDeniesSetsNoCookie() throws Exception {
        gateway = start(config -> { });
        HttpResponse<String> answer = open(gateway, token("bob")); // bob is in acme; the port is not shared

        assertThat(answer.statusCode()).isEqualTo(403);
        assertThat(answer.headers().firstValue("set-cookie")).isEmpty();
    }

    @Test
    void aLinkForAnotherUserDoesNotReplaceTheBrowsersSignIn() throws Exception {
        gateway = start(config -> { });
        gateway.server().accessState().orElseThrow().putShare(WorkspaceId.of(GatewayFixture.WORKSPACE),
                PortShare.of(gateway.workspacePort(), ShareLevel.ORGANIZATION));
        HttpResponse<String> alice = open(gateway, token("alice"));
        String cookie = alice.headers().firstValue("set-cookie").orElseThrow().split(";")[0];

        HttpResponse<String> attacker = open(gateway, token("bob"), "Cookie", cookie);

        assertThat(attacker.statusCode()).isEqualTo(400);
        assertThat(attacker.body()).contains("credential-conflict");
        assertThat(attacker.headers().firstValue("set-cookie")).isEmpty();
    }

    // ---- open redirect

    @Test
    void aSchemeRelativePathRedirectsOnTheSameHost() throws Exception {
        gateway = start(config -> { });
        String host = gateway.host(gateway.workspacePort(), GatewayFixture.WORKSPACE);
        for (String path : List.of("//evil.example/x", "/\\evil.example/x", "/%2F%2Fevil.example/x")) {
            String answer = RawHttps.exchange(gateway.clientTls(), gateway.gatewayPort(), host, "GET " + path
                    + "?access_token=" + token("alice") + " HTTP/1.1\r\nHost: " + host + ":" + gateway.gatewayPort()
                    + "\r\nConnection: close\r\n\r\n");
            String status = answer.substring(0, answer.indexOf("\r\n"));
            if (status.contains(" 303 ")) {
                assertThat(answer).as(path).containsIgnoringCase("\r\nlocation: https://" + host + ":"
                        + gateway.gatewayPort() + "/");
            } else {
                assertThat(status).as(path).contains(" 400 ");
            }
            assertThat(answer.toLowerCase()).as(path).doesNotContain("location: //").doesNotContain("location: /\\");
        }
    }

    // ---- replay of a re-encoded token

    @Test
    void theSameTokenReEncodedIsNotExchangedAgain() throws Exception {
        gateway = start(config -> { });
        String token = token("alice");
        assertThat(open(gateway, token).statusCode()).isEqualTo(303);

        for (String variant : List.of(highS(token), lastCharacterVariant(token))) {
            assertThat(variant).isNotEqualTo(token);
            HttpResponse<String> replay = open(gateway, variant);
            assertThat(replay.statusCode()).as(replay.body()).isNotEqualTo(303);
            assertThat(replay.headers().firstValue("set-cookie")).isEmpty();
        }
        HttpResponse<String> highS = open(gateway, highS(token));
        assertThat(highS.body()).contains("query-token-reused");
    }

    /** The same ES256 signature with s replaced by n - s: as valid, different text. */
    private static String highS(String token) {
        String[] parts = token.split("\\.");
        byte[] signature = new Base64URL(parts[2]).decode();
        BigInteger s = new BigInteger(1, Arrays.copyOfRange(signature, 32, 64));
        byte[] flipped = P256_ORDER.subtract(s).toByteArray();
        byte[] out = Arrays.copyOf(signature, 64);
        Arrays.fill(out, 32, 64, (byte) 0);
        int length = Math.min(32, flipped.length);
        System.arraycopy(flipped, flipped.length - length, out, 64 - length, length);
        return parts[0] + "." + parts[1] + "." + Base64URL.encode(out);
    }

    /** The signature's last base64url character with its unused low bits set: the same bytes, other text. */
    private static String lastCharacterVariant(String token) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        char last = token.charAt(token.length() - 1);
        int value = alphabet.indexOf(last) | 0b11; // 64 bytes leave 4 bits unused in the 86th character; set two
        return token.substring(0, token.length() - 1) + alphabet.charAt(value);
    }

    // ---- single use across restarts and gateways

    @Test
    void aLinkUsedBeforeARestartIsRefusedAfterIt() throws Exception {
        Consumer<dev.portcullis.gateway.config.GatewayConfig.Builder> persistent = config -> config.access(
                new AccessSettings(Optional.of(state.resolve("access")), ShareLevel.ORGANIZATION, "portcullis_admin"));
        gateway = start(persistent);
        String token = token("alice");
        int port = gateway.workspacePort();
        assertThat(open(gateway, token).statusCode()).isEqualTo(303);
        gateway.close();

        gateway = start(persistent);
        HttpResponse<String> replay = open(gateway, port, token);

        assertThat(replay.statusCode()).isEqualTo(401);
        assertThat(replay.body()).contains("query-token-reused");
    }

    @Test
    void aLinkUsedOnOneGatewayIsRefusedOnAnotherOfTheSameStore() throws Exception {
        try (EtcdCluster etcd = EtcdCluster.start(1)) {
            StoreSettings store = StoreSettings.etcd(etcd.endpoints());
            gateway = start(config -> config.store(store));
            Path otherState = state.resolve("second");
            GatewayFixture second = GatewayFixture.start(Transport.best(), otherState, config -> config
                    .identity(IdentityVerifierConfig.builder().issuer(issuer.issuerConfig()).build()).store(store));
            try {
                String token = token("alice");
                assertThat(open(gateway, token).statusCode()).isEqualTo(303);

                HttpResponse<String> replay = open(second, gateway.workspacePort(), token);

                assertThat(replay.statusCode()).isEqualTo(401);
                assertThat(replay.body()).contains("query-token-reused");
            } finally {
                second.close();
                gateway.close();
                gateway = null;
            }
        }
    }
}
