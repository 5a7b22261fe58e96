package dev.portcullis.gateway.store;

import dev.portcullis.store.replica.ReplicaHealth;
import dev.portcullis.store.replica.StoreReplica;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Clock;
import java.time.Duration;

/** The replica's health as metrics, read at scrape time: nothing is updated on the request path. */
final class StoreMetrics {
    private StoreMetrics() {}

    static void register(PrometheusRegistry registry, StoreReplica replica, Clock clock) {
        GaugeWithCallback.builder().name("portcullis_store_ready")
                .help("1 while the store's snapshot is loaded and its watch connected, else 0 (the last snapshot is still served)")
                .callback(callback -> callback.call(replica.health().ready() ? 1 : 0)).register(registry);
        GaugeWithCallback.builder().name("portcullis_store_revision")
                .help("The store revision this gateway serves")
                .callback(callback -> callback.call(replica.health().revision())).register(registry);
        GaugeWithCallback.builder().name("portcullis_store_stale_seconds")
                .help("Seconds since the connection to the store was lost; 0 while connected")
                .callback(callback -> {
                    ReplicaHealth health = replica.health();
                    callback.call(health.staleSince() == null ? 0
                            : Duration.between(health.staleSince(), clock.instant()).toMillis() / 1000.0);
                }).register(registry);
        GaugeWithCallback.builder().name("portcullis_store_last_swap_seconds")
                .help("How long building and swapping in the last snapshot took")
                .callback(callback -> callback.call(replica.lastSwapNanos() / 1e9)).register(registry);
        CounterWithCallback.builder().name("portcullis_store_skipped_records_total")
                .help("Invalid store records skipped (logged with their key)")
                .callback(callback -> callback.call(replica.health().skippedRecords())).register(registry);
        CounterWithCallback.builder().name("portcullis_store_reloads_total")
                .help("Whole snapshots read again after the store compacted past this gateway's revision")
                .callback(callback -> callback.call(replica.health().reloads())).register(registry);
        CounterWithCallback.builder().name("portcullis_store_reconnects_total")
                .help("Watches started again after a disconnect")
                .callback(callback -> callback.call(replica.health().reconnects())).register(registry);
    }
}
