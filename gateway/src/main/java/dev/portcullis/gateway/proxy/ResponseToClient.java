package dev.portcullis.gateway.proxy;

import dev.portcullis.gateway.observe.Exchange;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;

/**
 * The workspace's response on its way to the client, the other direction of {@link RequestToWorkspace}:
 * each part is recorded for the access log, charged to the client's bandwidth share and written
 * unflushed; the parts leave in one flush at the end of each read of the workspace, when the response
 * ends, and before anything else happens to the client (a close, an answer, a tunnel), so a small
 * response is one TLS record and one send rather than one per part. No write waits unflushed past
 * the current turn of the event loop: the workspace is read again only when a write completes.
 */
final class ResponseToClient {
    private final ClientSide client;
    private final ExchangeGates gates;
    // Parts were written to the client but not yet flushed.
    private boolean unflushed;

    ResponseToClient(ClientSide client, ExchangeGates gates) {
        this.client = client;
        this.gates = gates;
    }

    /** Writes a part of the response of the request {@code observed} records, unflushed. */
    ChannelFuture write(HttpObject part, Exchange observed) {
        if (part instanceof HttpResponse head) {
            observed.responseHead(head.status().code());
        }
        if (part instanceof HttpContent content) {
            int bytes = content.content().readableBytes();
            observed.bytesToClient(bytes);
            gates.toClient().charge(bytes);
        }
        unflushed = true;
        return client.writePart(part);
    }

    /** Sends the parts written since the last flush, if any. */
    void flush() {
        if (unflushed) {
            unflushed = false;
            client.flush();
        }
    }
}
