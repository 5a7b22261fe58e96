package dev.portcullis.gateway.proxy;

import dev.portcullis.gateway.access.AccessControl;
import dev.portcullis.gateway.console.Console;
import dev.portcullis.gateway.console.FormPost;
import dev.portcullis.gateway.route.PortHost;
import dev.portcullis.gateway.signin.SignIn;
import dev.portcullis.gateway.console.StreamedAnswerClient;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Picks out the requests the sign-in answers itself, before routing to a workspace: everything on
 * a login host, and the gateway's own paths ({@value SignIn#OWN_PATHS}) on every port host, which
 * never reach a workspace, signed in or not.
 */
final class SignInEndpoints {
    private SignInEndpoints() {}

    /**
     * A console request on a login host that the console answers only once its body is read (a form
     * post); null for every other request.
     */
    static FormPost consoleBody(HttpRequest request, ProxySettings settings) {
        Optional<Console> console = settings.access().flatMap(AccessControl::console);
        if (console.isEmpty() || !Console.owns(request)) {
            return null;
        }
        Optional<String> loginBaseDomain = loginBaseDomainOf(request, settings);
        return loginBaseDomain == null ? null : loginBaseDomain.map(baseDomain -> console.get().bodyReader(request, baseDomain)).orElse(null);
    }

    /**
     * Whether {@code request} is the console's audit stream on a login host, which the console then
     * answers on {@code channel} itself, for as long as the stream stays open.
     */
    static boolean openedEventStream(HttpRequest request, ProxySettings settings, StreamedAnswerClient channel) {
        Optional<Console> console = settings.access().flatMap(AccessControl::console);
        if (console.isEmpty() || !Console.isEventStream(request)) {
            return false;
        }
        Optional<String> loginBaseDomain = loginBaseDomainOf(request, settings);
        if (loginBaseDomain == null || loginBaseDomain.isEmpty()) {
            return false;
        }
        console.get().openEventStream(request, loginBaseDomain.get(), channel);
        return true;
    }

    /** The sign-in's answer to {@code request}, or null when the request is not the sign-in's. */
    static CompletableFuture<FullHttpResponse> answer(HttpRequest request, ProxySettings settings) {
        Optional<SignIn> signIn = settings.access().flatMap(AccessControl::signIn);
        Optional<String> loginBaseDomain = loginBaseDomainOf(request, settings);
        if (loginBaseDomain == null) {
            return null; // no sign-in, or a malformed request that routing refuses with its reason
        }
        if (loginBaseDomain.isPresent()) {
            Optional<Console> console = settings.access().flatMap(AccessControl::console);
            return console.isPresent() && Console.owns(request) ? console.get().handle(request, "", loginBaseDomain.get())
                    : signIn.get().handleLoginHost(request, loginBaseDomain.get());
        }
        String hostHeader = request.headers().get(HttpHeaderNames.HOST);
        if (request.uri().startsWith(SignIn.OWN_PATHS)
            && PortHost.parse(hostHeader, settings.baseDomains()) instanceof PortHost.WorkspacePort target) {
            return signIn.get().handlePortHost(request, target);
        }
        return null;
    }

    /**
     * The base domain whose login host the request is for; empty for another host; null when there
     * is no sign-in or the request is malformed (routing refuses it with its reason).
     */
    private static Optional<String> loginBaseDomainOf(HttpRequest request, ProxySettings settings) {
        Optional<SignIn> signIn = settings.access().flatMap(AccessControl::signIn);
        if (signIn.isEmpty() || request.decoderResult().isFailure() || RequestChecks.problemWith(request) != null) {
            return null;
        }
        String hostHeader = request.headers().get(HttpHeaderNames.HOST);
        if (hostHeader == null) {
            return null;
        }
        String host = hostHeader.toLowerCase(Locale.ROOT);
        int colon = host.lastIndexOf(':');
        if (colon >= 0) {
            host = host.substring(0, colon);
        }
        return signIn.get().loginHostOf(host);
    }
}
