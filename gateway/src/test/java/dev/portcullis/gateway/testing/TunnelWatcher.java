package dev.portcullis.gateway.testing;

import java.net.http.WebSocket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** A WebSocket listener that tells when the tunnel ends, however it ends, and what came back first. */
public final class TunnelWatcher implements WebSocket.Listener {
    /** Completes when a close frame arrives or the connection drops. */
    public final CompletableFuture<Void> closed = new CompletableFuture<>();
    public final CompletableFuture<String> firstText = new CompletableFuture<>();
    /** The close frame's status code and reason, when the tunnel ended with one ("code reason"). */
    public final CompletableFuture<String> closeFrame = new CompletableFuture<>();

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        firstText.complete(data.toString());
        webSocket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closeFrame.complete(statusCode + " " + reason);
        closed.complete(null);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closed.complete(null);
    }
}
