package dev.portcullis.gateway.proxy;

import dev.portcullis.gateway.config.Forwarding;
import dev.portcullis.gateway.route.PortHost;
import dev.portcullis.gateway.route.WorkspaceRoute;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.net.InetSocketAddress;

/**
 * Decides where a request head goes, or why it goes nowhere: every check that needs nothing but the
 * head and the route snapshot, in the order a client would want its first problem reported.
 */
final class RequestRouting {
    private RequestRouting() {}

    sealed interface Outcome {}

    /**
     * The request may go to the workspace port {@code target}, at the address and over TLS or not as
     * {@code poolKey} (the key of its workspace connections in the pool) says.
     *
     * @param forwardedHeader whether the workspace receives RFC 7239 {@code Forwarded} (the gateway's or the route's choice)
     * @param mayBeListening false when the workspace's agent reports that nothing listens on the port: once the
     *                       request is authorized it is answered "not served yet" without a connect
     */
    record Routed(PortHost.WorkspacePort target, UpstreamPool.Key poolKey, boolean forwardedHeader,
                  boolean mayBeListening) implements Outcome {
        /** The workspace port's address. */
        InetSocketAddress address() {
            return poolKey.address();
        }

        /** Whether the workspace port serves TLS itself. */
        boolean tls() {
            return poolKey.tls();
        }
    }

    /** The gateway answers the request itself. */
    record Refused(ProxyError error, String detail) implements Outcome {}

    /** @param connection what the client's connection keeps between requests (the last pool key) */
    static Outcome route(HttpRequest request, ProxySettings settings, ConnectionForwarding connection) {
        if (request.decoderResult().isFailure()) {
            return malformed(request.decoderResult().cause());
        }
        String problem = RequestChecks.problemWith(request);
        if (problem != null) {
            return new Refused(ProxyError.MALFORMED_REQUEST, "The request is not valid HTTP/1.1: " + problem + ".");
        }
        long maxBody = settings.limits().maxRequestBody();
        if (maxBody > 0 && HttpUtil.getContentLength(request, -1L) > maxBody) {
            return new Refused(ProxyError.BODY_TOO_LARGE, "The request body is larger than " + maxBody + " bytes.");
        }
        PortHost.WorkspacePort target;
        switch (PortHost.parse(request.headers().get(HttpHeaderNames.HOST), settings.baseDomains())) {
            case PortHost.Malformed malformed -> {
                return new Refused(ProxyError.MALFORMED_HOST, malformed.reason());
            }
            case PortHost.ForeignDomain foreign -> {
                return new Refused(ProxyError.NOT_SERVED_HERE, "'" + foreign.host() + "' is not under a domain this gateway serves");
            }
            case PortHost.WorkspacePort port -> target = port;
        }
        WorkspaceRoute route = settings.routes().get().lookup(target.workspaceId());
        if (route == null) {
            return new Refused(ProxyError.UNKNOWN_WORKSPACE, "There is no workspace '" + target.workspaceId() + "'.");
        }
        if (!route.running()) {
            return new Refused(ProxyError.WORKSPACE_NOT_RUNNING, "Workspace '" + target.workspaceId()
                    + "' is not running. Start it, then try again.");
        }
        return new Routed(target, connection.poolKey(target.workspaceId(), route.address(), target.port(),
                route.tlsPorts().contains(target.port())),
                settings.forwarding().forwardedHeader() || asksForForwarded(route), route.mayServe(target.port()));
    }

    private static boolean asksForForwarded(WorkspaceRoute route) {
        return route.owner() != null && "true".equals(route.owner().labels().get(Forwarding.ROUTE_LABEL));
    }

    /** Why Netty's decoder refused a message, as the answer the client gets. */
    static Refused malformed(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return new Refused(ProxyError.URI_TOO_LONG, "The request line is longer than the gateway accepts.");
        }
        if (cause instanceof TooLongHttpHeaderException || cause instanceof TooLongFrameException) {
            return new Refused(ProxyError.HEADERS_TOO_LARGE, "The request headers are larger than the gateway accepts.");
        }
        return new Refused(ProxyError.MALFORMED_REQUEST, "The request is not valid HTTP/1.1: " + cause.getMessage());
    }
}
