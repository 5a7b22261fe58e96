package dev.portcullis.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.config.ConfigException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class GatewayConfigFileTest {
    @TempDir
    Path folder;

    /** Writes a config; one without identity opens access explicitly, as the file format demands. */
    private Path write(String yaml) throws Exception {
        return writeExactly(yaml.contains("identity:") || yaml.contains("insecureOpenAccess")
                            ? yaml : yaml + "insecureOpenAccess: true\n");
    }

    /** Adds the workspace ranges every config needs, last, so the lines above keep their numbers. */
    private Path writeExactly(String yaml) throws Exception {
        Path file = folder.resolve("gateway.yaml");
        Files.writeString(file, yaml.contains("workspaceAddressRanges") ? yaml : yaml + "\nworkspaceAddressRanges: [10.0.0.0/8]\n");
        return file;
    }

    /** The refusal names a line, whichever it is. */
    private static final int ANY_LINE = 0;
    /** The refusal's line is not what the case is about. */
    private static final int NO_LINE_CHECK = -1;

    /** A section below the usual listen, baseDomains and tls lines; the line of the refusal; what it must say. */
    static Stream<Arguments> refusedSections() {
        return Stream.of(
                Arguments.of("unknownKeyIsNamedWithItsLine", """
                        timeouts:
                          conect: 5s
                        """, 5,
                        List.of("timeouts.conect: unknown key (expected one of: [connect, http2Idle, idle, requestBodyProgress, requestHead, responseHead])")),
                Arguments.of("forwardingWithAnUnknownKeyIsRefusedWithItsLine", """
                        forwarding:
                          forwarded: true
                        """, 5,
                        List.of("forwarding.forwarded: unknown key (expected one of: [forwardedHeader])")),
                Arguments.of("routeAddressMustBeAnIpLiteralNeverAName", """
                        routes:
                          - workspace: ws42
                            address: workspace42.internal
                        """, 6,
                        List.of("routes[0].address", "'workspace42.internal' (expected: an IPv4 or IPv6 address, not a name)")),
                Arguments.of("zeroConnectionsPerAddressIsRejectedWithItsLine", """
                        limits:
                          maxConnectionsPerAddress: 0
                        """, ANY_LINE,
                        List.of("limits.maxConnectionsPerAddress: 0 (expected: >= 1)")),
                Arguments.of("aReserveAsLargeAsTheDescriptorBudgetIsRejectedWithItsLine", """
                        limits:
                          maxFileDescriptors: 1000
                          fileDescriptorReserve: 1000
                        """, ANY_LINE,
                        List.of("limits.fileDescriptorReserve: 1000 (expected: below limits.maxFileDescriptors, 1000)")),
                Arguments.of("zeroWorkspaceConnectionsPerPrincipalIsRejectedWithItsLine", """
                        limits:
                          maxWorkspaceConnectionsPerPrincipal: 0
                        """, NO_LINE_CHECK,
                        List.of("limits.maxWorkspaceConnectionsPerPrincipal: 0 (expected: >= 1)")),
                Arguments.of("twoRoutesForOneWorkspaceAreRejected", """
                        routes:
                          - {workspace: ws42, address: 10.0.0.2}
                          - {workspace: ws42, address: 10.0.0.3}
                        """, NO_LINE_CHECK,
                        List.of("routes: workspace 'ws42' has two routes")),
                Arguments.of("aRouteWithAnOrgButNoOwnerIsRejected", """
                        routes:
                          - {workspace: ws42, address: 10.0.0.2, org: acme}
                        """, NO_LINE_CHECK,
                        List.of("routes[].owner: missing")),
                Arguments.of("issuerWithoutKeysIsRejected", """
                        identity:
                          issuers:
                            - {issuer: https://idp.example.com, audience: portcullis}
                        """, NO_LINE_CHECK,
                        List.of("identity.issuers[0]: exactly one of jwksUrl and jwksFile")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedSections")
    void aBadSectionIsRefusedWithItsLineAndWhatWasExpected(String behaviour, String section, int line, List<String> messages)
            throws Exception {
        Path file = write("""
                listen: ["127.0.0.1:8443"]
                baseDomains: [ws.example.com]
                tls: {certificates: [{certificateChain: a.pem, privateKey: b.pem}]}
                """ + section);

        var refusal = assertThatThrownBy(() -> GatewayConfigFile.load(file)).isInstanceOf(ConfigException.class);
        if (line != NO_LINE_CHECK) {
            refusal.hasMessageStartingWith(file + ":" + (line == ANY_LINE ? "" : line + ":"));
        }
        messages.forEach(refusal::hasMessageContaining);
    }

    @Test
    void readsACompleteFile() throws Exception {
        GatewayConfig config = GatewayConfigFile.load(write("""
                listen: ["127.0.0.1:8443", "[::1]:8443"]
                transport: nio
                baseDomains: [WS.Example.com]
                redirectListen: ["127.0.0.1:8080"]
                tls:
                  certificates:
                    - certificateChain: tls/chain.pem
                      privateKey: /etc/portcullis/key.pem
                  provider: jdk
                  reloadInterval: 30s
                timeouts:
                  connect: 750ms
                  idle: 2m
                routes:
                  - workspace: ws42
                    address: 10.0.0.2
                    tlsPorts: [8443]
                  - workspace: ws43
                    address: 10.0.0.6
                    state: stopped
                """));

        assertThat(config.listeners()).hasSize(2);
        assertThat(config.listeners().get(1).getAddress()).isEqualTo(InetAddress.getByName("::1"));
        assertThat(config.baseDomains()).containsExactly("ws.example.com");
        assertThat(config.transportForced()).isTrue();
        assertThat(config.redirectListeners()).hasSize(1);
        assertThat(config.tls().certificates()).containsExactly(
                new GatewayConfig.TlsFiles(folder.resolve("tls/chain.pem"), Path.of("/etc/portcullis/key.pem")));
        assertThat(config.tls().provider()).isEqualTo(GatewayConfig.TlsProvider.JDK);
        assertThat(config.tls().reloadInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.timeouts()).isEqualTo(new Timeouts(Timeouts.DEFAULTS.requestHead(), Duration.ofMillis(750),
                Timeouts.DEFAULTS.responseHead(), Duration.ofMinutes(2)));
        assertThat(config.routes().lookup("ws42").address()).isEqualTo(InetAddress.getByName("10.0.0.2"));
        assertThat(config.routes().lookup("ws42").running()).isTrue();
        assertThat(config.routes().lookup("ws42").tlsPorts()).containsExactly(8443);
        assertThat(config.routes().lookup("ws43").running()).isFalse();
    }

    @Test
    void forwardedHeaderIsOffUnlessTheFileTurnsItOn() throws Exception {
        String base = """
                listen: ["127.0.0.1:8443"]
                baseDomains: [ws.example.com]
                tls: {certificates: [{certificateChain: a.pem, privateKey: b.pem}]}
                """;

        assertThat(GatewayConfigFile.load(write(base)).forwarding()).isEqualTo(Forwarding.DEFAULTS);
        assertThat(Forwarding.DEFAULTS.forwardedHeader()).isFalse();
        assertThat(GatewayConfigFile.load(write(base + "forwarding:\n  forwardedHeader: true\n")).forwarding())
                .isEqualTo(new Forwarding(true));
    }

    @Test
    void misspeltKeyIsReportedWithItsLine() throws Exception {
        Path file = write("""
                listen: ["127.0.0.1:8443"]
                baseDomains: [ws.example.com]
                tls:
                  certificates:
                    - certificateChain: a.pem
                      privatKey: b.pem
                """);

        assertThatThrownBy(() -> GatewayConfigFile.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(file + ":6:")
                .hasMessageContaining("tls.certificates[0].privatKey: unknown key (expected one of: [certificateChain, privateKey])");
    }

    @Test
    void hardeningLimitsAndTheHttp2IdleTimeoutAreRead() throws Exception {
        GatewayConfig config = GatewayConfigFile.load(write("""
                listen: ["127.0.0.1:8443"]
                baseDomains: [ws.example.com]
                tls: {certificates: [{certificateChain: a.pem, privateKey: b.pem}], hstsMaxAge: 1d}
                timeouts: {http2Idle: 5s, requestBodyProgress: 20s}
                limits: {maxConnectionsPerAddress: 20, maxHeaderFields: 50}
                """));

        assertThat(config.tls().hstsMaxAge()).isEqualTo(Duration.ofDays(1));
        assertThat(config.timeouts().http2Idle()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.timeouts().requestBodyProgress()).isEqualTo(Duration.ofSeconds(20));
        assertThat(config.limits().maxConnectionsPerAddress()).isEqualTo(20);
        assertThat(config.limits().maxHeaderFields()).isEqualTo(50);
    }

    @Test
    void hardeningDefaultsApplyWhenNotConfigured() throws Exception {
        GatewayConfig config = GatewayConfigFile.load(write("""
                listen: ["127.0.0.1:8443"]
                baseDomains: [ws.example.com]
                tls: {certificates: [{certificateChain: a.pem, privateKey: b.pem}]}
                """));

        assertThat(config.tls().hstsMaxAge()).isEqualTo(Duration.ofDays(365));
        assertThat(config.timeouts().http2Idle()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.timeouts().requestBodyProgress()).isEqualTo(Duration.ofSeconds(60));
        assertThat(config.limits().maxConnectionsPerAddress()).isEqualTo(256);
        assertThat(config.limits().maxHeaderFields()).isEqualTo(100);
    }

    @Test
    void workspaceConnectionLimitsAndTheDescriptorBudgetAreRead() throws Exception {
        GatewayConfig config = GatewayConfigFile.load(write("""
                listen: ["127.0.0.1:8443"]
                baseDomains: [ws.example.com]
                tls: {certificates: [{certificateChain: a.pem, privateKey: b.pem}]}
                limits:
                  maxWorkspaceConnectionsPerClientConnection: 16
                  maxWorkspaceConnectionsPerPrincipal: 100
                  maxWorkspaceConnectionsPerWorkspace: 500
                  maxFileDescriptors: 4096
                  fileDescriptorReserve: 300
                """));

        assertThat(config.limits().workspaceConnections())
                .isEqualTo(new WorkspaceConnectionLimits(16, 100, 500, 4096, 300));
    }

    @Test
    void workspaceConnectionLimitsHaveDefaults() throws Exception {
        GatewayConfig config = GatewayConfigFile.load(write("""
                listen: ["127.0.0.1:8443"]
                baseDomains: [ws.example.com]
                tls: {certificates: [{certificateChain: a.pem, privateKey: b.pem}]}
                """));

        assertThat(config.limits().workspaceConnections()).isEqualTo(new WorkspaceConnectionLimits(64, 256, 1024, 0, 0));
        assertThat(config.limits().workspaceConnections().reserveFor(20_000)).isEqualTo(2000);
        assertThat(config.limits().workspaceConnections().reserveFor(256)).isEqualTo(64);
    }

    @Test
    void aConfigWithoutWorkspaceRangesIsRefusedNotOpenToEverything() throws Exception {
        Path file = writeExactly("""
                listen: ["127.0.0.1:8443"]
                baseDomains: [ws.example.com]
                tls: {certificates: [{certificateChain: a.pem, privateKey: b.pem}]}
                insecureOpenAccess: true
                workspaceAddressRanges: []
                """);

        assertThatThrownBy(() -> GatewayConfigFile.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(file + ":5: workspaceAddressRanges: missing or empty");
        // The comment keeps writeExactly from adding the key.
        Path missing = writeExactly(Files.readString(file).replace("workspaceAddressRanges: []", "# no workspaceAddressRanges"));
        assertThatThrownBy(() -> GatewayConfigFile.load(missing)).hasMessageContaining("workspaceAddressRanges: missing");
    }

    /** Issue 17 item 8: a static route at loopback reached every port of the gateway's host. */
    @Test
    void aStaticRouteIntoTheGatewaysHostOrOutsideTheRangesIsAConfigError() throws Exception {
        Path loopback = writeExactly("""
                listen: ["127.0.0.1:8443"]
                baseDomains: [ws.example.com]
                tls: {certificates: [{certificateChain: a.pem, privateKey: b.pem}]}
                insecureOpenAccess: true
                workspaceAddressRanges: [10.0.0.0/8]
                routes:
                  - workspace: ws42
                    address: 127.0.0.1
                """);
        assertThatThrownBy(() -> GatewayConfigFile.load(loopback)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(loopback + ":6: routes: workspace 'ws42' refused: 127.0.0.1 is loopback");

        String yaml = Files.readString(loopback); // each write below replaces the same file
        Path outside = writeExactly(yaml.replace("127.0.0.1\n", "192.0.2.7\n"));
        assertThatThrownBy(() -> GatewayConfigFile.load(outside))
                .hasMessageContaining("192.0.2.7 is outside the workspace address ranges [10.0.0.0/8]");

        Path metadata = writeExactly(yaml.replace("127.0.0.1\n", "169.254.169.254\n")
                .replace("[10.0.0.0/8]", "[0.0.0.0/0]"));
        assertThatThrownBy(() -> GatewayConfigFile.load(metadata)).hasMessageContaining("169.254.169.254 is link-local");

        Path development = writeExactly(yaml.replace("[10.0.0.0/8]", "[127.0.0.0/8]"));
        assertThat(GatewayConfigFile.load(development).routes().lookup("ws42")).as("loopback named on purpose").isNotNull();
    }

    /** The documented example says {@code maxRequestBody: 0}; YAML reads that as a number. */
    @Test
    void aSizeMayBeABareNumberOfBytes() throws Exception {
        Path file = write("""
                listen: ["127.0.0.1:8443"]
                baseDomains: [ws.example.com]
                tls: {certificates: [{certificateChain: a.pem, privateKey: b.pem}]}
                limits: {maxRequestBody: 0}
                """);

        assertThat(GatewayConfigFile.load(file).limits().maxRequestBody()).isZero();
        Path negative = write(Files.readString(file).replace("maxRequestBody: 0", "maxRequestBody: -1"));
        assertThatThrownBy(() -> GatewayConfigFile.load(negative)).hasMessageContaining("limits.maxRequestBody: -1 (expected: a size >= 0");
    }

    @Test
    void missingRequiredSectionIsNamed() throws Exception {
        Path file = write("""
                listen: ["127.0.0.1:8443"]
                baseDomains: [ws.example.com]
                """);

        assertThatThrownBy(() -> GatewayConfigFile.load(file)).isInstanceOf(ConfigException.class)
                .hasMessage(file + ":1: tls: missing (this key is required)");
    }

    /** Found by GatewayConfigFileFuzzTest: a missing key and an empty file had no line at all. */
    @Test
    void everyProblemNamesALineEvenForAKeyThatIsNotThere() throws Exception {
        // Written as they are: writeExactly would add the workspace ranges, and "{}" plus a key is no YAML.
        Path empty = Files.writeString(folder.resolve("empty.yaml"), "");
        assertThatThrownBy(() -> GatewayConfigFile.load(empty)).hasMessageStartingWith(empty + ":1:");
        Path emptyMap = Files.writeString(folder.resolve("empty-map.yaml"), "{}");
        assertThatThrownBy(() -> GatewayConfigFile.load(emptyMap)).hasMessage(emptyMap + ":1: listen: missing (this key is required)");
    }

    @Test
    void listenPortOutOfRangeIsRejected() throws Exception {
        Path file = write("""
                listen: ["127.0.0.1:70000"]
                baseDomains: [ws.example.com]
                tls: {certificates: [{certificateChain: a.pem, privateKey: b.pem}]}
                """);

        assertThatThrownBy(() -> GatewayConfigFile.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(file + ":1:")
                .hasMessageContaining("port in '127.0.0.1:70000' (expected: 0-65535)");
    }

    @Test
    void unknownTransportIsRejected() throws Exception {
        Path file = write("""
                listen: ["127.0.0.1:8443"]
                transport: kqueue
                baseDomains: [ws.example.com]
                tls: {certificates: [{certificateChain: a.pem, privateKey: b.pem}]}
                """);

        assertThatThrownBy(() -> GatewayConfigFile.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("transport: 'kqueue' (expected: auto, io_uring, epoll or nio)");
    }

    @Test
    void unknownTlsProviderIsRejected() throws Exception {
        Path file = write("""
                listen: ["127.0.0.1:8443"]
                baseDomains: [ws.example.com]
                tls:
                  certificates: [{certificateChain: a.pem, privateKey: b.pem}]
                  provider: gnutls
                """);

        assertThatThrownBy(() -> GatewayConfigFile.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(file + ":5:")
                .hasMessageContaining("tls.provider: 'gnutls' (expected: auto, openssl or jdk)");
    }

    @Test
    void withoutIdentityTheFileMustOpenAccessOutLoud() throws Exception {
        Path file = writeExactly("""
                listen: ["127.0.0.1:8443"]
                baseDomains: [ws.example.com]
                tls: {certificates: [{certificateChain: a.pem, privateKey: b.pem}]}
                """);

        assertThatThrownBy(() -> GatewayConfigFile.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("identity: missing").hasMessageContaining("insecureOpenAccess: true");
    }

    @Test
    void routeOwnersAndTheAccessSectionAreRead() throws Exception {
        Files.writeString(folder.resolve("keys.json"), new com.nimbusds.jose.jwk.JWKSet(
                new com.nimbusds.jose.jwk.gen.RSAKeyGenerator(2048).keyID("k1").generate().toPublicJWK()).toString());
        GatewayConfig config = GatewayConfigFile.load(write("""
                listen: ["127.0.0.1:8443"]
                baseDomains: [ws.example.com]
                tls: {certificates: [{certificateChain: a.pem, privateKey: b.pem}]}
                identity:
                  issuers: [{issuer: https://idp.example.com, audience: portcullis, jwksFile: keys.json, algorithms: [RS256]}]
                access:
                  stateDirectory: state
                  defaultMaxLevel: owner
                  adminClaim: is_admin
                routes:
                  - {workspace: ws42, address: 10.0.0.2, owner: alice, org: acme, labels: {env: dev}}
                """));

        assertThat(config.access().stateDirectory()).contains(folder.resolve("state"));
        assertThat(config.access().defaultMaxLevel()).isEqualTo(dev.portcullis.policy.ShareLevel.OWNER);
        assertThat(config.access().adminClaim()).isEqualTo("is_admin");
        var owner = config.routes().lookup("ws42").owner();
        assertThat(owner.ownerUserId()).isEqualTo("alice");
        assertThat(owner.org()).isEqualTo("acme");
        assertThat(owner.labels()).containsEntry("env", "dev");
    }

    @Test
    void unknownShareLevelIsRejectedWithItsLine() throws Exception {
        Path file = write("""
                listen: ["127.0.0.1:8443"]
                baseDomains: [ws.example.com]
                tls: {certificates: [{certificateChain: a.pem, privateKey: b.pem}]}
                access:
                  defaultMaxLevel: wide
                """);

        assertThatThrownBy(() -> GatewayConfigFile.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(file + ":5:").hasMessageContaining("access.defaultMaxLevel")
                .hasMessageContaining("wide (expected one of: owner, users, organization, authenticated, public)");
    }

    @Test
    void identityIssuersAreReadWithTheirKeys() throws Exception {
        Files.writeString(folder.resolve("keys.json"), new com.nimbusds.jose.jwk.JWKSet(
                new com.nimbusds.jose.jwk.gen.RSAKeyGenerator(2048).keyID("k1").generate().toPublicJWK()).toString());
        GatewayConfig config = GatewayConfigFile.load(write("""
                listen: ["127.0.0.1:8443"]
                baseDomains: [ws.example.com]
                tls: {certificates: [{certificateChain: a.pem, privateKey: b.pem}]}
                identity:
                  issuers:
                    - issuer: https://idp.example.com
                      audience: portcullis
                      jwksFile: keys.json
                      algorithms: [RS256]
                """));

        assertThat(config.identity()).hasValueSatisfying(identity ->
                assertThat(identity.issuers()).extracting(issuer -> issuer.issuer()).containsExactly("https://idp.example.com"));
    }

    @Test
    void aSingleIssuerSpeaksForEveryOrgAndMayCarryTheAdminClaim() throws Exception {
        Files.writeString(folder.resolve("keys.json"), rsaKeys());
        GatewayConfig config = GatewayConfigFile.load(write("""
                listen: ["127.0.0.1:8443"]
                baseDomains: [ws.example.com]
                tls: {certificates: [{certificateChain: a.pem, privateKey: b.pem}]}
                identity:
                  issuers: [{issuer: https://idp.example.com, audience: portcullis, jwksFile: keys.json, algorithms: [RS256]}]
                """));

        assertThat(config.identity().orElseThrow().issuers()).singleElement().satisfies(issuer -> {
            assertThat(issuer.alias()).isEqualTo("idp.example.com");
            assertThat(issuer.orgs()).containsExactly("*");
            assertThat(issuer.admin()).isTrue();
        });
    }

    @Test
    void severalIssuersAreBoundToTheirOrgsAndOnlyMarkedOnesAdminister() throws Exception {
        Files.writeString(folder.resolve("keys.json"), rsaKeys());
        GatewayConfig config = GatewayConfigFile.load(write("""
                listen: ["127.0.0.1:8443"]
                baseDomains: [ws.example.com]
                tls: {certificates: [{certificateChain: a.pem, privateKey: b.pem}]}
                identity:
                  issuers:
                    - {issuer: https://corp.example.com, alias: corp, orgs: [acme], admin: true, audience: p, jwksFile: keys.json, algorithms: [RS256]}
                    - {issuer: https://partner.example.com, alias: partner, orgs: [acme, globex], audience: p, jwksFile: keys.json, algorithms: [RS256]}
                """));

        assertThat(config.identity().orElseThrow().issuers()).satisfiesExactly(
                corp -> assertThat(corp.orgs()).containsExactly("acme").isNotEmpty(),
                partner -> {
                    assertThat(partner.orgs()).containsExactlyInAnyOrder("acme", "globex");
                    assertThat(partner.admin()).isFalse();
                });
    }

    @Test
    void severalIssuersWithoutTheirOrgsAreRejected() throws Exception {
        Files.writeString(folder.resolve("keys.json"), rsaKeys());
        Path file = write("""
                listen: ["127.0.0.1:8443"]
                baseDomains: [ws.example.com]
                tls: {certificates: [{certificateChain: a.pem, privateKey: b.pem}]}
                identity:
                  issuers:
                    - {issuer: https://corp.example.com, orgs: [acme], audience: p, jwksFile: keys.json, algorithms: [RS256]}
                    - {issuer: https://partner.example.com, audience: p, jwksFile: keys.json, algorithms: [RS256]}
                """);

        assertThatThrownBy(() -> GatewayConfigFile.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("identity.issuers[1].orgs: missing");
    }

    @Test
    void twoIssuersWithOneAliasAreRejected() throws Exception {
        Files.writeString(folder.resolve("keys.json"), rsaKeys());
        Path file = write("""
                listen: ["127.0.0.1:8443"]
                baseDomains: [ws.example.com]
                tls: {certificates: [{certificateChain: a.pem, privateKey: b.pem}]}
                identity:
                  issuers:
                    - {issuer: https://idp.example.com/a, orgs: [acme], audience: p, jwksFile: keys.json, algorithms: [RS256]}
                    - {issuer: https://idp.example.com/b, orgs: [globex], audience: p, jwksFile: keys.json, algorithms: [RS256]}
                """);

        assertThatThrownBy(() -> GatewayConfigFile.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("alias 'idp.example.com'");
    }

    @Test
    void anIssuerDeclaredToNameTheSameUsersSharesTheAliasAndTheOrgsHome() throws Exception {
        Files.writeString(folder.resolve("keys.json"), rsaKeys());
        GatewayConfig config = GatewayConfigFile.load(write("""
                listen: ["127.0.0.1:8443"]
                baseDomains: [ws.example.com]
                tls: {certificates: [{certificateChain: a.pem, privateKey: b.pem}]}
                identity:
                  issuers:
                    - {issuer: https://corp.example.com, alias: corp, orgs: [acme], audience: p, jwksFile: keys.json, algorithms: [RS256]}
                    - {issuer: https://cli.example.com, sameUsersAs: corp, orgs: [acme], admin: true, audience: p, jwksFile: keys.json, algorithms: [RS256]}
                """));

        var identity = config.identity().orElseThrow();
        assertThat(identity.issuers()).extracting(issuer -> issuer.alias()).containsExactly("corp", "corp");
        assertThat(identity.issuers()).allSatisfy(issuer -> assertThat(identity.scopeOf(issuer).isHomeOf("acme")).isTrue());
    }

    @Test
    void anIssuerNamingTheSameUsersButBoundToOtherOrgsIsRejected() throws Exception {
        Files.writeString(folder.resolve("keys.json"), rsaKeys());
        Path file = write("""
                listen: ["127.0.0.1:8443"]
                baseDomains: [ws.example.com]
                tls: {certificates: [{certificateChain: a.pem, privateKey: b.pem}]}
                identity:
                  issuers:
                    - {issuer: https://corp.example.com, alias: corp, orgs: [acme], audience: p, jwksFile: keys.json, algorithms: [RS256]}
                    - {issuer: https://cli.example.com, sameUsersAs: corp, orgs: [acme, globex], audience: p, jwksFile: keys.json, algorithms: [RS256]}
                """);

        assertThatThrownBy(() -> GatewayConfigFile.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("names the same users as 'https://corp.example.com' but is bound to orgs [acme, globex]");
    }

    @Test
    void sameUsersAsAnAliasNoIssuerHasIsRejected() throws Exception {
        Files.writeString(folder.resolve("keys.json"), rsaKeys());
        Path file = write("""
                listen: ["127.0.0.1:8443"]
                baseDomains: [ws.example.com]
                tls: {certificates: [{certificateChain: a.pem, privateKey: b.pem}]}
                identity:
                  issuers:
                    - {issuer: https://corp.example.com, alias: corp, orgs: [acme], audience: p, jwksFile: keys.json, algorithms: [RS256]}
                    - {issuer: https://cli.example.com, sameUsersAs: crop, orgs: [acme], audience: p, jwksFile: keys.json, algorithms: [RS256]}
                """);

        assertThatThrownBy(() -> GatewayConfigFile.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("issuer alias 'crop', which no issuer has");
    }

    @Test
    void signInWithAProviderThatIsNotATrustedIssuerIsRejected() throws Exception {
        Files.writeString(folder.resolve("keys.json"), rsaKeys());
        Path file = write("""
                listen: ["127.0.0.1:8443"]
                baseDomains: [ws.example.com]
                tls: {certificates: [{certificateChain: a.pem, privateKey: b.pem}]}
                identity:
                  issuers: [{issuer: https://corp.example.com, audience: p, jwksFile: keys.json, algorithms: [RS256]}]
                signin: {issuer: https://other.example.com, clientId: portcullis, clientSecret: s}
                """);

        assertThatThrownBy(() -> GatewayConfigFile.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("signin.issuer: 'https://other.example.com' is not among the trusted issuers");
    }

    private static String rsaKeys() throws Exception {
        return new com.nimbusds.jose.jwk.JWKSet(
                new com.nimbusds.jose.jwk.gen.RSAKeyGenerator(2048).keyID("k1").generate().toPublicJWK()).toString();
    }

    @Test
    void missingFileIsSaidPlainly() {
        Path file = folder.resolve("absent.yaml");
        assertThatThrownBy(() -> GatewayConfigFile.load(file)).hasMessage(file + ": no such file");
    }
}
