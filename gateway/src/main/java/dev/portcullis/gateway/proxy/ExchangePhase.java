package dev.portcullis.gateway.proxy;

/**
 * Where one request (or HTTP/2 stream) is, on the client's side of the proxy. The request body and
 * the response may overlap (a workspace may answer before the body ended); which of the two is
 * still flowing is told by the phase together with whether the request was fully received.
 *
 * <pre>
 * HEAD ─▶ AUTHORIZING ─▶ CONNECTING ─▶ STREAMING_REQUEST ─▶ AWAITING_RESPONSE ─▶ STREAMING_RESPONSE ─▶ HEAD (next request)
 *   any phase before STREAMING_RESPONSE ─▶ ANSWERED (the gateway answered; the connection closes after it)
 *   AWAITING_RESPONSE ─▶ TUNNEL (the workspace accepted an upgrade)
 *   any phase ─▶ CLOSED (the client's connection or stream closed, failed or was reset)
 * </pre>
 *
 * ANSWERED, TUNNEL and CLOSED are final: once in one, no later event (a workspace connection
 * closing, a deadline, a verdict that arrives late) may answer the request again.
 */
enum ExchangePhase {
    /** Waiting for a request head; between requests on a keep-alive connection. */
    HEAD,
    /** Routed; the access stage is deciding. Nothing has reached a workspace. */
    AUTHORIZING,
    /** Allowed; holding a workspace connection lease and borrowing or opening a workspace connection. */
    CONNECTING,
    /** The head went to the workspace; the body is on its way. */
    STREAMING_REQUEST,
    /** The whole request reached the workspace; its response head is due. */
    AWAITING_RESPONSE,
    /** The response head went to the client; its body follows. */
    STREAMING_RESPONSE,
    /** Both sides left HTTP: bytes are relayed until one side closes. */
    TUNNEL,
    /** The gateway answered the request itself. */
    ANSWERED,
    /** The client's side closed, failed or was reset. */
    CLOSED;

    /** A request is being served: its workspace-side events still count. */
    boolean inProgress() {
        return this == AUTHORIZING || this == CONNECTING || this == STREAMING_REQUEST || this == AWAITING_RESPONSE
                || this == STREAMING_RESPONSE;
    }

    /** Nothing may answer the request any more. */
    boolean isFinal() {
        return this == TUNNEL || this == ANSWERED || this == CLOSED;
    }
}
