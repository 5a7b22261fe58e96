package dev.portcullis.gateway.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portcullis.gateway.testing.GatewayExtension;
import dev.portcullis.gateway.testing.GatewayFixture;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Routes published by a host agent into its route file become routable, and go away, without a restart. */
class RouteFilesTest {
    @RegisterExtension
    static final GatewayExtension GATEWAY = GatewayExtension.builder()
            .configure((config, state) -> config.routeFile(state.resolve("routes.json")))
            .build();
    /** The workspaces a test publishes that would stay routable for the next one. */
    private static final List<String> PUBLISHED = List.of("published", "good");

    private GatewayFixture gateway;
    private Path routes;

    @BeforeEach
    void start() {
        gateway = GATEWAY.fixture();
        routes = GATEWAY.stateDir().resolve("routes.json");
    }

    /** The next test starts from an empty route file, as a fresh gateway would. */
    @AfterEach
    void withdrawEveryPublishedRoute() throws Exception {
        publish(routes, "[]");
        await("every published route withdrawn").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> PUBLISHED.stream().allMatch(workspace -> gateway.server().currentRoutes().lookup(workspace) == null));
    }

    /** What the agent's FileRouteSink writes: a JSON array, replaced atomically. */
    private static void publish(Path file, String json) throws Exception {
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(temporary, json);
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static String route(String workspace, String address) {
        return "{\"workspaceId\":\"" + workspace + "\",\"address\":\"" + address
                + "\",\"host\":\"host-1\",\"owner\":\"alice\",\"org\":\"acme\"}";
    }

    @Test
    void publishedWorkspaceBecomesRoutableAndWithdrawnOneIsUnknownAgain() throws Exception {
        assertThat(status(gateway, "published")).isEqualTo(404);

        publish(routes, "[" + route("published", "127.0.0.1") + "]");
        awaitStatus(gateway, "published", 200);

        publish(routes, "[]");
        awaitStatus(gateway, "published", 404);
        assertThat(status(gateway, GatewayFixture.WORKSPACE)).as("static routes stay").isEqualTo(200);
    }

    @Test
    void badRecordIsSkippedAndABrokenFileKeepsTheLastGoodRoutes() throws Exception {
        publish(routes, "[" + route("good", "127.0.0.1") + "," + route("BAD_ID", "127.0.0.1") + ","
                + route("noaddress", "not-an-ip") + "]");
        awaitStatus(gateway, "good", 200);
        assertThat(status(gateway, "noaddress")).isEqualTo(404);

        publish(routes, "[{\"workspaceId\": ");

        // Held for three of the gateway's polls of the file: it fails the moment the route goes.
        await("the last good routes kept while the file is broken").during(Duration.ofMillis(1500))
                .atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> status(gateway, "good") == 200);
    }

    /** Issue 16 item 5 and issue 17 item 8: a forged or stale route file cannot send requests elsewhere. */
    @Test
    void routesOutsideTheWorkspaceRangesOrIntoTheGatewayHostAreRefusedLoggedAndCounted() throws Exception {
        long outsideBefore = refusedRoutes("outside_ranges");
        long gatewayHostBefore = refusedRoutes("gateway_host");

        publish(routes, "[" + route("outside", "192.0.2.7") + "," + route("metadata", "169.254.169.254") + ","
                + route("good", "127.0.0.1") + "]");
        awaitStatus(gateway, "good", 200);

        assertThat(gateway.server().currentRoutes().lookup("outside")).as("never in the table").isNull();
        assertThat(gateway.server().currentRoutes().lookup("metadata")).as("never in the table").isNull();
        assertThat(status(gateway, "outside")).isEqualTo(404);
        assertThat(status(gateway, "metadata")).isEqualTo(404);
        assertThat(refusedRoutes("outside_ranges")).as("refused as outside the ranges").isEqualTo(outsideBefore + 1);
        assertThat(refusedRoutes("gateway_host")).as("refused as the gateway's host").isEqualTo(gatewayHostBefore + 1);
    }

    /** {@code portcullis_routes_refused_total} for the route file and this reason; 0 before the first refusal. */
    private long refusedRoutes(String reason) throws Exception {
        String metrics = gateway.httpClient().send(HttpRequest.newBuilder(gateway.adminUrl("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher count = Pattern.compile("(?m)^portcullis_routes_refused_total\\{reason=\"" + reason
                + "\",source=\"route_file\"} (\\d+)").matcher(metrics);
        return count.find() ? Long.parseLong(count.group(1)) : 0;
    }

    private static int status(GatewayFixture gateway, String workspace) throws Exception {
        return gateway.httpClient().send(HttpRequest.newBuilder(gateway.url(gateway.workspacePort(), workspace, "/")).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static void awaitStatus(GatewayFixture gateway, String workspace, int expected) {
        Awaitility.await("status for workspace " + workspace).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> assertThat(status(gateway, workspace)).isEqualTo(expected));
    }
}
