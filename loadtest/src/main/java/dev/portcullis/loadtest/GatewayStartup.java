package dev.portcullis.loadtest;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.portcullis.store.record.RecordCodec;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.DeleteOption;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A gateway process started on a store that holds 0 or {@code --routes} routes, embedded and etcd:
 * the time from starting the process to {@code /readyz} answering 200 (listening, with the store's
 * snapshot loaded), and the heap it uses after a full GC once ready. The difference between the
 * two table sizes, divided by the routes, is the gateway's memory per route. Medians of {@code --runs}.
 */
public final class GatewayStartup {
    private static final Duration READY_WITHIN = Duration.ofMinutes(2);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(200)).build();

    private GatewayStartup() {}

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        Path work = Path.of(args.get("work"));
        int routes = args.getInt("routes", 100_000);
        int runs = args.getInt("runs", 3);
        String etcd = args.get("etcd", "");
        Files.createDirectories(work);
        Path[] tls = {Path.of(args.get("certificate-chain")), Path.of(args.get("private-key"))};

        Map<String, Object> results = new LinkedHashMap<>();
        List<String> stores = etcd.isEmpty() ? List.of("embedded") : List.of("embedded", "etcd");
        for (String store : stores) {
            Map<Integer, Map<String, Double>> bySize = new LinkedHashMap<>();
            for (int size : List.of(0, routes)) {
                String section = store.equals("embedded") ? "  embedded: " + embeddedStore(work, size)
                        : "  etcd:\n    endpoints: [" + etcd + "]\n    timeoutMillis: 30000";
                if (store.equals("etcd")) {
                    fillEtcd(etcd, size);
                }
                List<Double> startMillis = new ArrayList<>();
                List<Double> heapKib = new ArrayList<>();
                for (int run = 0; run < runs; run++) {
                    double[] measured = startOnce(args, work, tls, section);
                    startMillis.add(measured[0]);
                    heapKib.add(measured[1]);
                    System.out.printf("GATEWAY_START %s routes=%d run=%d start_ms=%.0f heap_kib=%.0f%n", store, size, run + 1,
                            measured[0], measured[1]);
                }
                bySize.put(size, Map.of("start_ms", Medians.of(startMillis), "heap_kib", Medians.of(heapKib)));
            }
            Map<String, Double> empty = bySize.get(0);
            Map<String, Double> full = bySize.get(routes);
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("start_ms_0_routes", empty.get("start_ms"));
            summary.put("start_ms_" + routes + "_routes", full.get("start_ms"));
            summary.put("heap_kib_0_routes", empty.get("heap_kib"));
            summary.put("heap_kib_" + routes + "_routes", full.get("heap_kib"));
            summary.put("heap_bytes_per_route", Math.round((full.get("heap_kib") - empty.get("heap_kib")) * 1024 / routes));
            results.put(store, summary);
            System.out.println("GATEWAY_START_MEDIANS " + store + " " + summary);
        }
        Map<String, Object> meta = new LinkedHashMap<>(args.meta());
        meta.put("routes", routes);
        meta.put("runs", runs);
        String out = args.get("out", "");
        if (!out.isEmpty()) {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(Path.of(out).toFile(),
                    Map.of("meta", meta, "results", results));
        }
    }

    /** One gateway process: milliseconds from its start to ready, and its heap after a full GC then. */
    private static double[] startOnce(Args args, Path work, Path[] tls, String storeSection) throws Exception {
        int admin = freePort();
        Path config = work.resolve("gateway-startup.yaml");
        Files.writeString(config, """
                listen: ["127.0.0.1:%d"]
                adminListen: "127.0.0.1:%d"
                eventLoopThreads: 1
                baseDomains: [ws.localhost]
                insecureOpenAccess: true
                workspaceAddressRanges: [10.213.0.0/16]
                tls:
                  certificates:
                    - {certificateChain: %s, privateKey: %s}
                store:
                %s
                """.formatted(freePort(), admin, tls[0], tls[1], storeSection));
        List<String> command = new ArrayList<>(List.of(args.get("java")));
        command.addAll(args.all("jvm-option"));
        command.addAll(List.of("-cp", args.get("gateway-cp"), "dev.portcullis.cli.PortcullisCli",
                "gateway", "--config", config.toString()));
        long started = System.nanoTime();
        Process gateway = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(work.resolve("gateway-startup.out").toFile()).start();
        try {
            URI readyz = URI.create("http://127.0.0.1:" + admin + "/readyz");
            long deadline = started + READY_WITHIN.toNanos();
            while (!ready(readyz)) {
                if (!gateway.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("the gateway did not get ready: see " + work.resolve("gateway-startup.out"));
                }
                Thread.sleep(5);
            }
            double startMillis = (System.nanoTime() - started) / 1e6;
            double heapKib = GatewayMemory.measure(gateway.pid(), args.get("jcmd")).size("heap_used_kib");
            return new double[] {startMillis, heapKib};
        } finally {
            gateway.destroy();
            if (!gateway.waitFor(20, TimeUnit.SECONDS)) {
                gateway.destroyForcibly().waitFor();
            }
        }
    }

    private static boolean ready(URI readyz) {
        try {
            return HTTP.send(HttpRequest.newBuilder(readyz).timeout(Duration.ofSeconds(1)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false; // not listening yet
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * An embedded store file holding {@code size} routes, written in the store file's format at once
     * (putting them one by one would rewrite the whole file each time).
     */
    private static Path embeddedStore(Path work, int size) throws IOException {
        Path file = work.resolve("store-" + size + ".json");
        if (Files.exists(file)) {
            return file;
        }
        List<Map<String, Object>> entries = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            entries.add(Map.of("key", "/portcullis/v1/routes/bench-" + i, "value", RecordCodec.encode(RouteChurn.route(i, 0)),
                    "modRevision", i + 1, "lease", 0));
        }
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("version", 1);
        content.put("revision", size);
        content.put("nextLeaseId", 1);
        content.put("entries", entries);
        content.put("leases", List.of());
        new ObjectMapper().writeValue(file.toFile(), content);
        return file;
    }

    /** Replaces every key under /portcullis/v1/ with {@code size} routes, many writes in flight. */
    private static void fillEtcd(String endpoint, int size) throws Exception {
        try (Client client = Client.builder().endpoints(endpoint).build()) {
            ByteSequence prefix = ByteSequence.from("/portcullis/v1/", UTF_8);
            client.getKVClient().delete(prefix, DeleteOption.builder().isPrefix(true).build()).get(60, TimeUnit.SECONDS);
            Semaphore inFlight = new Semaphore(256);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            for (int i = 0; i < size && failure.get() == null; i++) {
                inFlight.acquire();
                client.getKVClient().put(ByteSequence.from("/portcullis/v1/routes/bench-" + i, UTF_8),
                        ByteSequence.from(RecordCodec.encode(RouteChurn.route(i, 0)))).whenComplete((done, error) -> {
                            if (error != null) {
                                failure.compareAndSet(null, error);
                            }
                            inFlight.release();
                        });
            }
            inFlight.acquire(256);
            if (failure.get() != null) {
                throw new IllegalStateException("filling etcd failed: " + failure.get().getMessage(), failure.get());
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
