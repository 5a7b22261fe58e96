package dev.portcullis.gateway.console;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.portcullis.gateway.observe.RecentAudit;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.function.Predicate;

/**
 * One open audit stream: server-sent events ({@code text/event-stream}) written straight to the
 * client's channel (an HTTP/1.1 connection or one HTTP/2 stream) for as long as it stays open. Each
 * new line the person may see and asked for is one event whose id is the line's sequence number, so
 * a reconnecting browser ({@code Last-Event-ID}) gets what it missed among the kept lines. A comment
 * line every {@link #HEARTBEAT} keeps the connection from counting as idle and finds a client gone;
 * then the session is looked at again and the stream ends with it. A client that does not read is
 * dropped rather than buffered for.
 */
final class AuditStream {
    static final Duration HEARTBEAT = Duration.ofSeconds(10);

    private final StreamedAnswerClient channel;
    private final Predicate<RecentAudit.Entry> wanted;
    private Runnable stopListening = () -> { };
    private ScheduledFuture<?> heartbeat;

    private AuditStream(StreamedAnswerClient channel, Predicate<RecentAudit.Entry> wanted) {
        this.channel = channel;
        this.wanted = wanted;
    }

    /**
     * Answers on {@code channel} with the stream's head, the kept lines after {@code lastSeen}, then
     * every new line; runs on the channel's event loop.
     *
     * @param stillSignedIn asked at every heartbeat (the store may answer later); false ends the stream
     */
    static void open(StreamedAnswerClient channel, RecentAudit audit, Predicate<RecentAudit.Entry> wanted, long lastSeen,
                     Supplier<CompletableFuture<Boolean>> stillSignedIn) {
        AuditStream stream = new AuditStream(channel, wanted);
        channel.eventLoop().execute(() -> stream.start(audit, lastSeen, stillSignedIn));
    }

    private void start(RecentAudit audit, long lastSeen, Supplier<CompletableFuture<Boolean>> stillSignedIn) {
        if (!channel.isActive()) {
            return;
        }
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
                .set("x-content-type-options", "nosniff")
                .set("cross-origin-resource-policy", "same-origin")
                .set("content-security-policy", ConsoleAnswers.CSP);
        HttpUtil.setTransferEncodingChunked(head, true); // HTTP/1.1 framing; HTTP/2 drops the header
        channel.write(head);
        StringBuilder first = new StringBuilder("retry: 3000\n\n");
        for (RecentAudit.Entry entry : audit.entries()) {
            if (entry.sequence() > lastSeen && wanted.test(entry)) {
                first.append(event(entry));
            }
        }
        send(first.toString());
        stopListening = audit.listen(entry -> {
            if (wanted.test(entry)) {
                channel.eventLoop().execute(() -> send(event(entry)));
            }
        });
        heartbeat = channel.eventLoop().scheduleAtFixedRate(() -> {
            send(": still here\n\n");
            stillSignedIn.get().whenComplete((yes, failure) -> {
                if (!Boolean.TRUE.equals(yes)) {
                    channel.close();
                }
            });
        }, HEARTBEAT.toMillis(), HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS);
        channel.whenClosed(this::stop);
    }

    private void send(String events) {
        if (!channel.isActive()) {
            stop();
            return;
        }
        if (!channel.isWritable()) {
            channel.close(); // not reading: dropped, never buffered for
            return;
        }
        channel.write(new DefaultHttpContent(Unpooled.copiedBuffer(events, StandardCharsets.UTF_8)))
                .addListener(written -> {
                    if (!written.isSuccess()) {
                        channel.close();
                    }
                });
    }

    private void stop() {
        stopListening.run();
        if (heartbeat != null) {
            heartbeat.cancel(false);
        }
    }

    /** {@code id} and one {@code data} line of JSON (a JSON text holds no raw newline). */
    private static String event(RecentAudit.Entry entry) {
        try {
            return "id: " + entry.sequence() + "\ndata: " + ConsoleAnswers.JSON.writeValueAsString(
                    ConsoleAnswers.JSON.createObjectNode().put("at", entry.at().toString()).put("kind", entry.kind())
                            .put("line", entry.line())) + "\n\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
