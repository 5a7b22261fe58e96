package dev.portcullis.dist.grafana;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcullis.gateway.config.AccessSettings;
import dev.portcullis.gateway.observe.GatewayMetrics;
import dev.portcullis.gateway.route.RouteGuard;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.store.StoreConnection;
import dev.portcullis.store.StoreSettings;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped dashboard queries only metrics a gateway really exposes (its own and, with a store,
 * the store's), and shows every one of them: a renamed metric fails here, not on an operator's screen.
 */
class GrafanaDashboardTest {
    private static final Path DASHBOARD = Path.of("src/grafana/portcullis-gateway.json");
    private static final Pattern METRIC = Pattern.compile("portcullis_[a-z0-9_]+");

    @TempDir
    Path folder;

    @Test
    void everyQueriedMetricExistsAndEveryMetricIsShown() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        Set<String> queried = new TreeSet<>();
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                Matcher names = METRIC.matcher(target.path("expr").asText());
                while (names.find()) {
                    queried.add(baseName(names.group()));
                }
            }
        }

        Set<String> exposed = exposedMetrics();

        assertThat(queried).as("queried by the dashboard, exposed by the gateway").isSubsetOf(exposed);
        assertThat(exposed).as("exposed by the gateway, shown by the dashboard").isSubsetOf(queried);
        assertThat(dashboard.path("uid").asText()).isEqualTo("portcullis-gateway");
    }

    /** Names as the registry knows them, with a store connected so that its metrics are there too. */
    private Set<String> exposedMetrics() throws Exception {
        GatewayMetrics metrics = new GatewayMetrics();
        try (StoreConnection store = StoreConnection.open(StoreSettings.embedded(folder.resolve("store.json")),
                RouteTable.empty(), AccessSettings.DEFAULTS.fallbackPolicy(), Duration.ofSeconds(5), gone -> { }, () -> { },
                RouteGuard.withAddresses(List.of(), Set.of()), metrics.registry())) {
            Set<String> names = new TreeSet<>();
            for (MetricSnapshot snapshot : metrics.registry().scrape()) {
                names.add(baseName(snapshot.getMetadata().getPrometheusName()));
            }
            return names;
        }
    }

    /** {@code portcullis_requests_total} and a histogram's {@code _bucket} series are the same metric. */
    private static String baseName(String name) {
        return name.replaceAll("_(total|bucket|sum|count|created)$", "");
    }
}
