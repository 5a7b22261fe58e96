package dev.portcullis.gateway.testing;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;

/**
 * The ordinary user of the denial-of-service measurements: sequential requests, each on a new TLS
 * connection (so an attack on accepting and handshaking shows), counted as served only when
 * answered 200, with each request's latency.
 */
public final class OrdinaryClient {
    private final GatewayFixture gateway;
    private final String bearerToken;

    /** {@code bearerToken} is sent as {@code Authorization: Bearer}; null for an anonymous client. */
    public OrdinaryClient(GatewayFixture gateway, String bearerToken) {
        this.gateway = requireNonNull(gateway, "gateway");
        this.bearerToken = bearerToken;
    }

    /** How a run of requests went: how many were answered 200, and every latency (sorted). */
    public record Run(int served, long[] sortedNanos) {
        public int requests() {
            return sortedNanos.length;
        }

        public double medianMillis() {
            return sortedNanos[sortedNanos.length / 2] / 1e6;
        }

        public double p99Millis() {
            return sortedNanos[(int) Math.ceil(sortedNanos.length * 0.99) - 1] / 1e6;
        }

        /** {@code served 100 of 100, median 35.6 ms, p99 190.3 ms} */
        public String summary() {
            return "served %d of %d, median %.1f ms, p99 %.1f ms".formatted(served, requests(), medianMillis(), p99Millis());
        }
    }

    /** {@code requests} GETs of the demo workspace's {@code /}, one after another. */
    public Run run(int requests) throws InterruptedException {
        int served = 0;
        long[] nanos = new long[requests];
        for (int i = 0; i < requests; i++) {
            long start = System.nanoTime();
            try (HttpClient client = gateway.httpClient()) { // a new client: a new connection every time
                HttpRequest.Builder request = HttpRequest.newBuilder(gateway.url("/")).timeout(Duration.ofSeconds(5));
                if (bearerToken != null) {
                    request.header("Authorization", "Bearer " + bearerToken);
                }
                if (client.send(request.build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                    served++;
                }
            } catch (IOException failed) {
                // counted as not served
            }
            nanos[i] = System.nanoTime() - start;
        }
        Arrays.sort(nanos);
        return new Run(served, nanos);
    }
}
