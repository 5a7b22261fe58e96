package dev.portcullis.gateway.route;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.transport.Transport;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Routes published by a host agent into its route file become routable, and go away, without a restart. */
class RouteFilesTest {
    @TempDir
    Path state;

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
        Path routes = state.resolve("routes.json");
        try (GatewayFixture gateway = GatewayFixture.start(Transport.best(), state, config -> config.routeFile(routes))) {
            assertThat(status(gateway, "published")).isEqualTo(404);

            publish(routes, "[" + route("published", "127.0.0.1") + "]");
            awaitStatus(gateway, "published", 200);

            publish(routes, "[]");
            awaitStatus(gateway, "published", 404);
            assertThat(status(gateway, GatewayFixture.WORKSPACE)).as("static routes stay").isEqualTo(200);
        }
    }

    @Test
    void badRecordIsSkippedAndABrokenFileKeepsTheLastGoodRoutes() throws Exception {
        Path routes = state.resolve("routes.json");
        try (GatewayFixture gateway = GatewayFixture.start(Transport.best(), state, config -> config.routeFile(routes))) {
            publish(routes, "[" + route("good", "127.0.0.1") + "," + route("BAD_ID", "127.0.0.1") + ","
                    + route("noaddress", "not-an-ip") + "]");
            awaitStatus(gateway, "good", 200);
            assertThat(status(gateway, "noaddress")).isEqualTo(404);

            publish(routes, "[{\"workspaceId\": ");
            Thread.sleep(1500); // three polls

            assertThat(status(gateway, "good")).as("the last good routes are kept").isEqualTo(200);
        }
    }

    /** Issue 16 item 5 and issue 17 item 8: a forged or stale route file cannot send requests elsewhere. */
    @Test
    void routesOutsideTheWorkspaceRangesOrIntoTheGatewayHostAreRefusedLoggedAndCounted() throws Exception {
        Path routes = state.resolve("routes.json");
        try (GatewayFixture gateway = GatewayFixture.start(Transport.best(), state, config -> config.routeFile(routes))) {
            publish(routes, "[" + route("outside", "192.0.2.7") + "," + route("metadata", "169.254.169.254") + ","
                    + route("good", "127.0.0.1") + "]");
            awaitStatus(gateway, "good", 200);

            assertThat(gateway.server().currentRoutes().lookup("outside")).as("never in the table").isNull();
            assertThat(gateway.server().currentRoutes().lookup("metadata")).as("never in the table").isNull();
            assertThat(status(gateway, "outside")).isEqualTo(404);
            assertThat(status(gateway, "metadata")).isEqualTo(404);
            String metrics = gateway.httpClient().send(HttpRequest.newBuilder(gateway.adminUrl("/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics)
                    .contains("portcullis_routes_refused_total{reason=\"outside_ranges\",source=\"route_file\"} 1")
                    .contains("portcullis_routes_refused_total{reason=\"gateway_host\",source=\"route_file\"} 1");
        }
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
