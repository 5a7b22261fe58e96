package dev.portcullis.gateway.proxy;

import io.netty.handler.codec.http.HttpResponseStatus;

/** Every way the gateway answers a request itself instead of the workspace, with its status and code. */
public enum ProxyError {
    MALFORMED_REQUEST(HttpResponseStatus.BAD_REQUEST, "malformed-request", "Malformed request"),
    URI_TOO_LONG(HttpResponseStatus.REQUEST_URI_TOO_LONG, "request-line-too-long", "Request line too long"),
    HEADERS_TOO_LARGE(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "headers-too-large", "Request headers too large"),
    REQUEST_HEAD_TIMEOUT(HttpResponseStatus.REQUEST_TIMEOUT, "request-head-timeout", "Request took too long"),
    BODY_TOO_LARGE(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "body-too-large", "Request body too large"),
    UNAUTHENTICATED(HttpResponseStatus.UNAUTHORIZED, "unauthenticated", "Sign-in required"),
    FORBIDDEN(HttpResponseStatus.FORBIDDEN, "forbidden", "Access denied"),
    AMBIGUOUS_PATH(HttpResponseStatus.BAD_REQUEST, "ambiguous-path", "Ambiguous path"),
    CREDENTIAL_CONFLICT(HttpResponseStatus.BAD_REQUEST, "credential-conflict", "Conflicting credentials"),
    QUERY_TOKEN_NOT_ALLOWED(HttpResponseStatus.BAD_REQUEST, "query-token-not-allowed", "Token not accepted in this URL"),
    QUERY_TOKEN_REUSED(HttpResponseStatus.UNAUTHORIZED, "query-token-reused", "Sign-in link already used"),
    MALFORMED_HOST(HttpResponseStatus.BAD_REQUEST, "malformed-host", "Not a workspace address"),
    NOT_SERVED_HERE(HttpResponseStatus.MISDIRECTED_REQUEST, "not-served-here", "Not served by this gateway"),
    UNKNOWN_WORKSPACE(HttpResponseStatus.NOT_FOUND, "unknown-workspace", "Unknown workspace"),
    WORKSPACE_NOT_RUNNING(HttpResponseStatus.SERVICE_UNAVAILABLE, "workspace-not-running", "Workspace not running"),
    PORT_NOT_SERVED(HttpResponseStatus.BAD_GATEWAY, "port-not-served", "Port not served"),
    /** The host agent reports the workspace's listening ports and this one is not among them: answered without connecting. */
    PORT_NOT_LISTENING(HttpResponseStatus.SERVICE_UNAVAILABLE, "port-not-served-yet", "Port not served yet"),
    BAD_UPSTREAM_RESPONSE(HttpResponseStatus.BAD_GATEWAY, "bad-upstream-response", "Bad answer from the workspace"),
    UPSTREAM_TIMEOUT(HttpResponseStatus.GATEWAY_TIMEOUT, "upstream-timeout", "The workspace did not answer in time"),
    /** A limit on workspace connections (per client connection, principal or workspace) was reached. */
    WORKSPACE_CONNECTION_LIMIT(HttpResponseStatus.SERVICE_UNAVAILABLE, "workspace-connection-limit",
            "Too many open requests"),
    /** The gateway's descriptor budget is down to the reserve it keeps for accepting and answering. */
    GATEWAY_BUSY(HttpResponseStatus.SERVICE_UNAVAILABLE, "gateway-busy", "The gateway is busy"),
    /** The request body made no progress for {@code timeouts.requestBodyProgress}. */
    REQUEST_BODY_TIMEOUT(HttpResponseStatus.REQUEST_TIMEOUT, "request-body-timeout", "Request body too slow");

    private final HttpResponseStatus status;
    private final String code;
    private final String title;

    ProxyError(HttpResponseStatus status, String code, String title) {
        this.status = status;
        this.code = code;
        this.title = title;
    }

    public HttpResponseStatus status() {
        return status;
    }

    /** A stable, machine-readable name, sent in JSON answers and logs. */
    public String code() {
        return code;
    }

    public String title() {
        return title;
    }

    /** Seconds a client should wait before trying again, for errors that pass; 0 for the others. */
    public int retryAfterSeconds() {
        return switch (this) {
            case WORKSPACE_NOT_RUNNING -> 10;
            case WORKSPACE_CONNECTION_LIMIT, GATEWAY_BUSY -> 2; // held connections end with their requests
            case PORT_NOT_LISTENING -> 2; // the agent reports a new listener within a second
            default -> 0;
        };
    }
}
