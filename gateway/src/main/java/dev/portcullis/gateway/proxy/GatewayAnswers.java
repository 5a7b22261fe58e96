package dev.portcullis.gateway.proxy;

import static java.util.Objects.requireNonNull;

import dev.portcullis.gateway.console.FormPost;
import dev.portcullis.gateway.pages.Pages;
import dev.portcullis.gateway.signin.SignIn;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The gateway's own answers, which never reach a workspace: the sign-in's and the console's on a
 * login host (a console form post's body is read here first, bounded in size and time), the
 * console's audit stream, and the page or JSON of every refusal. {@link ProxyExchange} hands each
 * request head here first ({@link #take}) and each refusal ({@link #error}); an answer that is
 * ready only later goes back through the exchange's {@link Sender}, which releases what the
 * request held, logs it and writes it. The exchange keeps the phase; this class keeps what an
 * answer needs to know about the request (a browser navigating gets a page, JSON otherwise).
 */
final class GatewayAnswers {
    /** How {@link #take} took a request head. */
    enum Taken {
        /** Not the gateway's own: the exchange routes it to a workspace. */
        NOT_OURS,
        /** The console's audit stream: the console writes to the connection until it closes. */
        EVENT_STREAM,
        /**
         * A console form post: its body goes through {@link #bodyPart}; the console answers once it
         * has it. The exchange reads the body only once it set its phase: a read can hand over a
         * part at once (an HTTP/2 stream's buffered DATA), before this call returned.
         */
        READING_BODY,
        /** The sign-in or the console answers; the answer goes to the {@link Sender} once ready. */
        ANSWERING
    }

    /** What {@link #bodyPart} made of a part of a console form post's body. */
    enum BodyPart {
        /** More of the body is wanted: read on. */
        MORE,
        /** The body grew past {@link FormPost#MAX_BODY_BYTES}: refuse it. */
        TOO_LARGE,
        /** The body is complete; the console's answer goes to the {@link Sender} once ready. */
        COMPLETE
    }

    /** Where an answer goes: the exchange ends the request with it and the connection closes after it. */
    @FunctionalInterface
    interface Sender {
        void send(FullHttpResponse response, String code);
    }

    private final ClientSide client;
    private final ProxySettings settings;
    private final boolean offersSignIn;
    private final Sender sender;
    // Whether the current request comes from a browser navigating: it gets a page, not JSON.
    private boolean browser;
    // A console form post on a login host whose body is being read; null otherwise.
    private FormPost consoleBody;

    GatewayAnswers(ClientSide client, ProxySettings settings, boolean offersSignIn, Sender sender) {
        this.client = requireNonNull(client, "client");
        this.settings = requireNonNull(settings, "settings");
        this.offersSignIn = offersSignIn;
        this.sender = requireNonNull(sender, "sender");
    }

    /** Looks at every request head before routing: the gateway's own paths are taken here. */
    Taken take(HttpRequest request) {
        browser = ErrorResponses.wantsPage(request.headers());
        consoleBody = null;
        if (SignInEndpoints.openedEventStream(request, settings, client)) {
            return Taken.EVENT_STREAM;
        }
        consoleBody = SignInEndpoints.consoleBody(request, settings);
        if (consoleBody != null) {
            // A body that trickles in is cut off as a head would be.
            FormPost reading = consoleBody;
            client.eventLoop().schedule(() -> {
                if (consoleBody == reading) {
                    client.close();
                }
            }, settings.timeouts().requestHead().toNanos(), TimeUnit.NANOSECONDS);
            return Taken.READING_BODY;
        }
        CompletableFuture<FullHttpResponse> signInAnswer = SignInEndpoints.answer(request, settings);
        if (signInAnswer != null) {
            sendWhenReady(signInAnswer);
            return Taken.ANSWERING;
        }
        return Taken.NOT_OURS;
    }

    /** Whether a console form post's body is being read (its parts go to {@link #bodyPart}). */
    boolean readingBody() {
        return consoleBody != null;
    }

    /** Collects a part of a console post's body (and releases it). */
    BodyPart bodyPart(HttpContent content) {
        boolean fits;
        boolean last = content instanceof LastHttpContent;
        try {
            fits = consoleBody.append(content.content());
        } finally {
            content.release();
        }
        if (!fits) {
            consoleBody = null;
            return BodyPart.TOO_LARGE;
        }
        if (!last) {
            return BodyPart.MORE;
        }
        FormPost complete = consoleBody;
        consoleBody = null;
        sendWhenReady(complete.complete());
        return BodyPart.COMPLETE;
    }

    /**
     * The answer to a refused request: a page for a browser navigating, naming the workspace and
     * port when the request was routed and offering a sign-in where there is one; JSON otherwise.
     *
     * @param reasons the policy's reason codes, listed in the answer
     * @param clearCookie whether the answer expires the gateway's cookie (it no longer verifies)
     * @param user the verified user, named on a browser's page, or null
     * @param routed where the request was routed, or null when it was not
     * @param forwardedHead the head as it would go to the workspace (its path is where a sign-in returns), or null
     */
    FullHttpResponse error(ProxyError error, String detail, List<String> reasons, boolean clearCookie, String user,
                           RequestRouting.Routed routed, HttpRequest forwardedHead) {
        Pages.Context page = !browser ? null : routed == null ? new Pages.Context(null, null, 0, user)
                : new Pages.Context(routed.target().hostName(), routed.target().workspaceId(), routed.target().port(), user);
        if (page != null && routed != null && offersSignIn) {
            page = page.withSignIn(SignIn.signInPath(forwardedHead == null ? "/" : forwardedHead.uri()), SignIn.LOGOUT_PATH);
        }
        FullHttpResponse response = ErrorResponses.create(client.alloc(), error, detail, reasons, page, clearCookie);
        if (clearCookie) {
            response.headers().set(HttpHeaderNames.SET_COOKIE, ErrorResponses.EXPIRED_GATEWAY_COOKIE);
        }
        return response;
    }

    /** A console form post's body no longer matters (the client went away, or another answer won). */
    void forgetBody() {
        consoleBody = null;
    }

    private void sendWhenReady(CompletableFuture<FullHttpResponse> answer) {
        answer.whenComplete((response, failure) -> client.eventLoop().execute(() -> {
            if (client.isActive()) {
                sender.send(response != null ? response : ErrorResponses.create(client.alloc(),
                        ProxyError.UNAUTHENTICATED, "The sign-in could not be completed.", browser), "sign-in");
            } else if (response != null) {
                response.release();
            }
        }));
    }
}
