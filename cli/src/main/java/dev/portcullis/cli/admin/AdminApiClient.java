package dev.portcullis.cli.admin;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcullis.cli.ExitCode;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The HTTP client of the gateway's admin API ({@code /api/v1/...}) for the commands: one request,
 * the caller's token as a bearer, every failure told on stderr and turned into the exit-code table's
 * class ({@link ExitCode#UNREACHABLE}, {@link ExitCode#REFUSED}, {@link ExitCode#USAGE} for no token).
 */
public final class AdminApiClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String base;
    private final String token;

    AdminApiClient(String base, String token) {
        this.base = stripSlash(requireNonNull(base, "base"));
        this.token = token;
    }

    /** One answer of the admin API. */
    public record Answer(int status, String body) {
        public boolean ok() {
            return status / 100 == 2;
        }

        public JsonNode json() throws IOException {
            return JSON.readTree(body.isEmpty() ? "{}" : body);
        }

        /** The API's own message for a refused call, or the raw body. */
        public String message() {
            try {
                JsonNode json = json();
                return json.hasNonNull("message") ? json.get("message").asText() : body.trim();
            } catch (IOException e) {
                return body.trim();
            }
        }
    }

    /** The outcome of a call: the answer when it succeeded, else the exit code of the failure already told. */
    public record Outcome(Answer answer, int exitCode) {
        public boolean failed() {
            return exitCode != ExitCode.OK;
        }
    }

    /**
     * Sends one request. Every failure is told on {@code err} as {@code command: ...}: no token
     * ({@link ExitCode#USAGE}), no gateway ({@link ExitCode#UNREACHABLE}), or a refusal with its
     * status and the API's message ({@link ExitCode#REFUSED}).
     */
    public Outcome send(PrintWriter err, String command, String method, String path, String contentType, String body)
            throws InterruptedException {
        if (token == null || token.isBlank()) {
            err.println(command + ": no token: pass --token or set PORTCULLIS_TOKEN"
                    + " (on the demo: PORTCULLIS_TOKEN=$(./portcullis token --user alice --org acme))");
            return new Outcome(null, ExitCode.USAGE);
        }
        URI uri;
        try {
            uri = URI.create(base + path);
        } catch (IllegalArgumentException e) {
            err.println(command + ": --gateway '" + base + "' is no URL (expected: e.g. " + AdminApiOptions.DEFAULT_GATEWAY + ")");
            return new Outcome(null, ExitCode.USAGE);
        }
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token.trim())
                .header("Content-Type", contentType)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build();
        Answer answer;
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()) {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            answer = new Answer(response.statusCode(), response.body());
        } catch (IOException e) {
            err.println(command + ": cannot reach the gateway's admin listener at " + base
                    + " (is the gateway running? --gateway sets where): " + e);
            return new Outcome(null, ExitCode.UNREACHABLE);
        }
        if (!answer.ok()) {
            err.println(command + ": refused (" + answer.status() + "): " + answer.message());
            return new Outcome(answer, ExitCode.REFUSED);
        }
        return new Outcome(answer, ExitCode.OK);
    }

    public static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    public static String toJson(Object value) throws IOException {
        return JSON.writeValueAsString(value);
    }

    private static String stripSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
