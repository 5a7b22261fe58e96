package dev.portcullis.agent.api;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.portcullis.agent.address.Ipv4Address;
import dev.portcullis.agent.lifecycle.RequestException;
import dev.portcullis.agent.lifecycle.WorkspaceNetworks;
import dev.portcullis.policy.WorkspaceId;
import dev.portcullis.agent.workspace.WorkspaceSpec;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routes of the local API, free of Netty: method + path + body in, status + body out. Every
 * refusal is a 4xx whose body says what was wrong and what was expected; a refused request has
 * changed nothing.
 */
public final class ApiHandler {

    private static final Logger log = LoggerFactory.getLogger(ApiHandler.class);
    private static final String WORKSPACES = "/v1/workspaces";

    /** A response before it is put on the wire. */
    public record Response(int status, String contentType, byte[] body) {
        static Response json(int status, Object value) {
            try {
                return new Response(status, "application/json", ApiJson.MAPPER.writeValueAsBytes(value));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot encode a response", e);
            }
        }

        static Response error(int status, String message) {
            return json(status, new ApiJson.Error(status, message));
        }
    }

    private final WorkspaceNetworks agent;

    public ApiHandler(WorkspaceNetworks agent) {
        this.agent = requireNonNull(agent, "agent");
    }

    /** Requests answered from the agent's memory, never touching the kernel or waiting for a lock. */
    static boolean answersFromMemory(String method, String path) {
        return method.equals("GET") && (path.equals(WORKSPACES) || path.startsWith(WORKSPACES + "/")
                || path.equals("/v1/status"));
    }

    public Response handle(String method, String path, byte[] body) {
        try {
            return route(method, path, body);
        } catch (RequestException e) {
            return Response.error(e.status(), e.getMessage());
        } catch (IllegalArgumentException e) {
            return Response.error(400, e.getMessage());
        } catch (RuntimeException e) {
            log.error("{} {} failed", method, path, e);
            return Response.error(500, "the agent could not complete " + method + " " + path + ": " + e.getMessage());
        }
    }

    private Response route(String method, String path, byte[] body) {
        if (path.equals(WORKSPACES)) {
            return switch (method) {
                case "GET" -> Response.json(200, agent.list().stream().map(ApiJson.Workspace::of).toList());
                case "POST" -> create(body);
                default -> notAllowed(method, path, "GET, POST");
            };
        }
        if (path.startsWith(WORKSPACES + "/")) {
            WorkspaceId id = WorkspaceId.of(path.substring(WORKSPACES.length() + 1));
            return switch (method) {
                case "GET" -> Response.json(200, ApiJson.Workspace.of(agent.get(id)));
                case "DELETE" -> {
                    agent.delete(id);
                    yield new Response(204, "application/json", new byte[0]);
                }
                default -> notAllowed(method, path, "GET, DELETE");
            };
        }
        return switch (path) {
            case "/v1/status" -> method.equals("GET") ? Response.json(200, agent.status()) : notAllowed(method, path, "GET");
            case "/v1/rules" -> method.equals("GET")
                    ? new Response(200, "text/plain; charset=utf-8", agent.rules().getBytes(StandardCharsets.UTF_8))
                    : notAllowed(method, path, "GET");
            case "/v1/reconcile" -> method.equals("POST") ? Response.json(200, agent.reconcile()) : notAllowed(method, path, "POST");
            default -> Response.error(404, "no such endpoint: " + path
                    + " (expected: /v1/workspaces, /v1/workspaces/{id}, /v1/status, /v1/rules, /v1/reconcile)");
        };
    }

    private Response create(byte[] body) {
        ApiJson.CreateRequest request;
        try {
            request = ApiJson.MAPPER.readValue(body, ApiJson.CreateRequest.class);
        } catch (UnrecognizedPropertyException e) {
            return Response.error(400, "unknown field '" + e.getPropertyName()
                    + "' (expected: id, owner, org, address, egressMbit, ingressMbit, weight)");
        } catch (MismatchedInputException e) {
            // A value of the wrong type: name the field, show the value as sent.
            String field = e.getPath().isEmpty() ? "body" : e.getPath().get(e.getPath().size() - 1).getFieldName();
            return Response.error(400, field + ": " + e.getOriginalMessage().split("\n", 2)[0]
                    + (field.equals("egressMbit") || field.equals("ingressMbit") ? " (expected: a whole number of Mbit/s, 0-100000, 0 = the agent's default)"
                            : field.equals("weight") ? " (expected: a whole number 1-" + WorkspaceSpec.MAX_WEIGHT
                                    + ", the share of the host's uplink; " + WorkspaceSpec.DEFAULT_WEIGHT + " when not given)"
                            : " (expected: {\"id\": ..., \"owner\": ..., \"org\": ...})"));
        } catch (JsonProcessingException e) {
            return Response.error(400, "body is not a JSON workspace: " + e.getOriginalMessage().split("\n", 2)[0]
                    + " (expected: {\"id\": ..., \"owner\": ..., \"org\": ...})");
        } catch (java.io.IOException e) {
            return Response.error(400, "cannot read the body: " + e.getMessage()
                    + " (expected: {\"id\": ..., \"owner\": ..., \"org\": ...})");
        }
        if (request == null) {
            return Response.error(400, "empty body (expected: {\"id\": ..., \"owner\": ..., \"org\": ...})");
        }
        if (request.id() == null) {
            return Response.error(400, "id: null (expected: 1-" + WorkspaceId.MAX_LENGTH
                    + " characters of a-z, 0-9 and '-', not starting or ending with '-')");
        }
        WorkspaceSpec spec = new WorkspaceSpec(WorkspaceId.of(request.id()), request.owner(), request.org(),
                Optional.ofNullable(request.address()).map(Ipv4Address::parse),
                request.egressMbit() == null ? 0 : request.egressMbit(),
                request.ingressMbit() == null ? 0 : request.ingressMbit(),
                request.weight() == null ? WorkspaceSpec.DEFAULT_WEIGHT : request.weight());
        boolean existed = agent.contains(spec.id());
        return Response.json(existed ? 200 : 201, ApiJson.Workspace.of(agent.create(spec)));
    }

    private static Response notAllowed(String method, String path, String allowed) {
        return Response.error(405, method + " " + path + " is not supported (expected: " + allowed + ")");
    }
}
