package dev.portcullis.gateway.console;

/** The browser URL of a workspace port, as the person reached this gateway (host and port). */
@FunctionalInterface
interface PortUrls {
    String of(String workspaceId, int port);
}
