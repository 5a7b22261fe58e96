package dev.portcullis.gateway.proxy;

import dev.portcullis.gateway.access.AccessControl;
import dev.portcullis.gateway.route.PortHost;
import dev.portcullis.gateway.signin.SignIn;
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

    /** The sign-in's answer to {@code request}, or null when the request is not the sign-in's. */
    static CompletableFuture<FullHttpResponse> answer(HttpRequest request, ProxySettings settings) {
        Optional<SignIn> signIn = settings.access().flatMap(AccessControl::signIn);
        if (signIn.isEmpty() || request.decoderResult().isFailure() || RequestChecks.problemWith(request) != null) {
            return null; // no sign-in, or a malformed request that routing refuses with its reason
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
        Optional<String> loginBaseDomain = signIn.get().loginHostOf(host);
        if (loginBaseDomain.isPresent()) {
            return signIn.get().handleLoginHost(request, loginBaseDomain.get());
        }
        if (request.uri().startsWith(SignIn.OWN_PATHS)
            && PortHost.parse(hostHeader, settings.baseDomains()) instanceof PortHost.WorkspacePort target) {
            return signIn.get().handlePortHost(request, target);
        }
        return null;
    }
}
