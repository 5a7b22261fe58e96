package dev.portcullis.policy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * Where the gateway's admin API is and who calls it: a picocli mixin for the commands that change
 * or ask a running gateway ({@code apply}, {@code share}, {@code explain --gateway}).
 */
final class GatewayClient {
    static final String DEFAULT_GATEWAY = "http://127.0.0.1:9090";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--gateway", paramLabel = "URL",
            description = "the gateway's admin listener (default: $PORTCULLIS_GATEWAY, else " + DEFAULT_GATEWAY + ")")
    private String gateway;

    @Option(names = "--token", paramLabel = "JWT",
            description = "your token (default: $PORTCULLIS_TOKEN); the gateway decides what it allows")
    private String token;

    /** One answer of the admin API. */
    record Answer(int status, String body) {
        boolean ok() {
            return status / 100 == 2;
        }

        JsonNode json() throws IOException {
            return JSON.readTree(body.isEmpty() ? "{}" : body);
        }

        /** The API's own message for a refused call, or the raw body. */
        String message() {
            try {
                JsonNode json = json();
                return json.hasNonNull("message") ? json.get("message").asText() : body.trim();
            } catch (IOException e) {
                return body.trim();
            }
        }
    }

    Answer send(String method, String path, String contentType, String body) throws IOException, InterruptedException {
        String bearer = token != null ? token : System.getenv("PORTCULLIS_TOKEN");
        if (bearer == null || bearer.isBlank()) {
            throw new IllegalArgumentException("no token: pass --token or set PORTCULLIS_TOKEN"
                    + " (on the demo: PORTCULLIS_TOKEN=$(./portcullis token --user alice --org acme))");
        }
        String base = gateway != null ? gateway : System.getenv().getOrDefault("PORTCULLIS_GATEWAY", DEFAULT_GATEWAY);
        HttpRequest request = HttpRequest.newBuilder(URI.create(stripSlash(base) + path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + bearer.trim())
                .header("Content-Type", contentType)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build();
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()) {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            return new Answer(response.statusCode(), response.body());
        } catch (java.net.ConnectException e) {
            throw new IOException("cannot reach the gateway's admin listener at " + base
                    + " (is the gateway running? --gateway sets where)", e);
        }
    }

    /**
     * {@link #send}, with every failure told on {@code err} as {@code command: ...}: no token, no
     * gateway, or a refusal (its status and the API's message).
     *
     * @return the successful answer, or empty when the failure was told
     */
    Optional<Answer> sendOrTell(PrintWriter err, String command, String method, String path, String contentType,
                                String body) throws IOException, InterruptedException {
        final Answer answer;
        try {
            answer = send(method, path, contentType, body);
        } catch (IllegalArgumentException | IOException e) {
            err.println(command + ": " + e.getMessage());
            return Optional.empty();
        }
        if (!answer.ok()) {
            err.println(command + ": refused (" + answer.status() + "): " + answer.message());
            return Optional.empty();
        }
        return Optional.of(answer);
    }

    static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    static String toJson(Object value) throws IOException {
        return JSON.writeValueAsString(value);
    }

    private static String stripSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
