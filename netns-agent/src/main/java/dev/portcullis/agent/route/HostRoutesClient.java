package dev.portcullis.agent.route;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.portcullis.agent.config.GatewayRouteSettings;
import dev.portcullis.store.LeaseLostException;
import dev.portcullis.store.record.RecordCodec;
import dev.portcullis.store.record.RouteRecord;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

/**
 * The calls of the gateway's host API ({@code /api/v1/hosts/<host>/}, see the gateway's
 * {@code HostRoutesApi}), each with this host's bearer token. A lease the gateway calls gone is a
 * {@link LeaseLostException}; any other refusal or failure a {@link GatewayCallException}.
 */
final class HostRoutesClient {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long NO_LEASE = 0;

    private final GatewayRouteSettings settings;
    private final String hostPath;
    private final HttpClient http;

    HostRoutesClient(GatewayRouteSettings settings, String host) {
        this.settings = requireNonNull(settings, "settings");
        this.hostPath = "/api/v1/hosts/" + URLEncoder.encode(requireNonNull(host, "host"), StandardCharsets.UTF_8);
        // The admin listener speaks HTTP/1.1 only: no h2c upgrade attempt on every call.
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(settings.timeout()).build();
    }

    /** A new lease of the configured TTL; returns its id. */
    long grant() {
        String body = "{\"ttlSeconds\":" + settings.leaseTtl().toSeconds() + "}";
        HttpResponse<String> answer = send("POST", hostPath + "/leases", body, NO_LEASE, 201);
        try {
            JsonNode lease = JSON.readTree(answer.body()).get("lease");
            if (lease != null && lease.canConvertToLong()) {
                return lease.asLong();
            }
        } catch (IOException e) {
            // answered below
        }
        throw new GatewayCallException(settings.adminUrl() + ": a lease grant answered '" + answer.body()
                + "' (expected: {\"lease\": <id>, ...})");
    }

    /** @throws LeaseLostException when the gateway no longer holds the lease: its routes are gone */
    void keepAlive(long lease) {
        send("PUT", hostPath + "/leases/" + lease, null, lease, 200);
    }

    void revoke(long lease) {
        send("DELETE", hostPath + "/leases/" + lease, null, lease, 204);
    }

    /** @throws LeaseLostException when the gateway no longer holds the lease: nothing was written */
    void put(long lease, RouteRecord route) {
        send("PUT", hostPath + "/routes/" + route.workspaceId() + "?lease=" + lease,
                new String(RecordCodec.encode(route), StandardCharsets.UTF_8), lease, 200);
    }

    /** Withdraws the route; a route that is not there is withdrawn already. */
    void delete(String workspaceId) {
        send("DELETE", hostPath + "/routes/" + workspaceId, null, NO_LEASE, 204, 404);
    }

    /** The answer when its status is one of {@code expected}; a 410 under {@code lease} is the lease lost. */
    private HttpResponse<String> send(String method, String path, String body, long lease, int... expected) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(settings.adminUrl() + path))
                .timeout(settings.timeout())
                .header("Authorization", "Bearer " + token())
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build();
        HttpResponse<String> answer;
        try {
            answer = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new GatewayCallException(method + " " + settings.adminUrl() + path + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GatewayCallException(method + " " + settings.adminUrl() + path + ": interrupted", e);
        }
        for (int status : expected) {
            if (answer.statusCode() == status) {
                return answer;
            }
        }
        if (answer.statusCode() == 410 && lease != NO_LEASE) {
            throw new LeaseLostException(lease);
        }
        throw new GatewayCallException(method + " " + settings.adminUrl() + path + " answered " + answer.statusCode() + ": "
                + answer.body().strip());
    }

    /** The token as the file holds it now: an operator or an IdP's helper may have replaced it. */
    private String token() {
        String token;
        try {
            token = Files.readString(settings.tokenFile()).strip();
        } catch (IOException e) {
            throw new GatewayCallException("routes.gateway.tokenFile: cannot read " + settings.tokenFile() + ": " + e, e);
        }
        if (token.isEmpty() || token.chars().anyMatch(Character::isWhitespace)) {
            throw new GatewayCallException("routes.gateway.tokenFile: " + settings.tokenFile()
                    + " (expected: one bearer token, such as './portcullis token --host <name>' prints)");
        }
        return token;
    }

    /** The gateway refused a call, or could not be reached. */
    static final class GatewayCallException extends RuntimeException {
        GatewayCallException(String message) {
            super(message);
        }

        GatewayCallException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
