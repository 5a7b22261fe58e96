package dev.portcullis.gateway.config;

/**
 * Which forwarding headers a workspace receives besides the {@code X-Forwarded-*} set the gateway
 * always sends (docs/configuration.md, "forwarding").
 *
 * @param forwardedHeader also send RFC 7239 {@code Forwarded} to every workspace. Off by default, as
 *                        in nginx, HAProxy and Envoy: apps that read it may compare its quoted
 *                        {@code host} with {@code Origin} and refuse WebSockets (code-server does).
 *                        A single workspace can ask for it with the route label
 *                        {@value #ROUTE_LABEL}{@code : "true"}.
 */
public record Forwarding(boolean forwardedHeader) {
    public static final Forwarding DEFAULTS = new Forwarding(false);

    /** The route label with which one workspace asks for {@code Forwarded}, whatever the gateway's default. */
    public static final String ROUTE_LABEL = "portcullis.dev/forwarded-header";
}
