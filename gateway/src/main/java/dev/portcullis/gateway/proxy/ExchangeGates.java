package dev.portcullis.gateway.proxy;

import dev.portcullis.gateway.fairness.BandwidthGate;
import dev.portcullis.gateway.fairness.Fairness;

/**
 * One request's two flows in its workspace's bandwidth share (fairness): toward the workspace (the
 * client is read through it) and toward the client (the workspace is read through it). Joined when
 * the request gets a workspace connection, left when it ends, handed to the relays when it becomes
 * a tunnel. Null gates between requests.
 */
final class ExchangeGates {
    private final Fairness fairness;
    private BandwidthGate toWorkspace;
    private BandwidthGate toClient;
    private String workspace;

    ExchangeGates(Fairness fairness) {
        this.fairness = fairness;
    }

    BandwidthGate toWorkspace() {
        return toWorkspace;
    }

    BandwidthGate toClient() {
        return toClient;
    }

    /** Joins {@code workspaceId}'s share (once per request: a retry keeps the flows). */
    void open(String workspaceId) {
        if (toWorkspace != null && !workspaceId.equals(workspace)) {
            close(); // never charge one workspace's bytes to another's share
        }
        if (toWorkspace == null) {
            toWorkspace = fairness.open(workspaceId);
            toClient = fairness.open(workspaceId);
            workspace = workspaceId;
        }
    }

    void close() {
        if (toWorkspace != null) {
            toWorkspace.close();
            toClient.close();
            toWorkspace = null;
            toClient = null;
        }
    }

    /** The tunnel's relays own the flows now (they close them when the tunnel closes). */
    void handOverToTunnel() {
        toWorkspace = null;
        toClient = null;
    }
}
