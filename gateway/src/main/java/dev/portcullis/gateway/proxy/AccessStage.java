package dev.portcullis.gateway.proxy;

import dev.portcullis.gateway.access.AccessControl;
import dev.portcullis.gateway.access.OpenGrants;
import io.netty.handler.codec.http.HttpRequest;
import java.net.InetAddress;
import java.util.function.Consumer;

/**
 * The stage between routing and forwarding: what is decided about a routed request before
 * anything of it reaches a workspace. Both kinds take the gateway's own credentials off the head
 * that goes to the workspace ({@link GatewayCredentials}): even with access open, a workspace
 * never receives a token or session meant for a gateway.
 */
sealed interface AccessStage {
    /** With access open (development only), every request is allowed, under nobody's name. */
    RequestAccess.Allowed OPEN = new RequestAccess.Allowed(null, null, null);

    /**
     * The verdict on {@code request}, or null when it comes later (an issuer's keys had to be
     * fetched) through {@code later}, on any thread; {@code forwarded} is the workspace's copy of the
     * head, {@code connection} what the client's connection keeps between its requests.
     */
    RequestAccess.Verdict decide(ClientSide client, ConnectionForwarding connection, HttpRequest request,
                                 HttpRequest forwarded, RequestRouting.Routed routed, ProxySettings settings,
                                 Consumer<RequestAccess.Verdict> later);

    /**
     * The request was allowed: from now on {@code client} (the connection, or the one HTTP/2 stream)
     * serves under its grant. On the client's event loop.
     */
    void allowed(ClientSide client, RequestAccess.Allowed allowed, RequestRouting.Routed routed);

    /** Whether a refusal page may offer to sign in. */
    boolean offersSignIn();

    static AccessStage of(ProxySettings settings) {
        return settings.access().<AccessStage>map(Enforced::new).orElse(Open.INSTANCE);
    }

    /** No identity configured: allowed, with the gateway's credentials still stripped. */
    enum Open implements AccessStage {
        INSTANCE;

        @Override
        public RequestAccess.Verdict decide(ClientSide client, ConnectionForwarding connection, HttpRequest request,
                                            HttpRequest forwarded, RequestRouting.Routed routed, ProxySettings settings,
                                            Consumer<RequestAccess.Verdict> later) {
            GatewayCredentials.strip(request, forwarded);
            return OPEN;
        }

        @Override
        public void allowed(ClientSide client, RequestAccess.Allowed allowed, RequestRouting.Routed routed) {
            // nothing to revoke later: open access is never narrowed
        }

        @Override
        public boolean offersSignIn() {
            return false;
        }
    }

    /**
     * Identity and the policy decide ({@link RequestAccess}), with what the client's connection proved
     * before; an allowed connection or HTTP/2 stream is registered for revocation under its own grant.
     */
    record Enforced(AccessControl access) implements AccessStage {
        @Override
        public RequestAccess.Verdict decide(ClientSide client, ConnectionForwarding connection, HttpRequest request,
                                            HttpRequest forwarded, RequestRouting.Routed routed, ProxySettings settings,
                                            Consumer<RequestAccess.Verdict> later) {
            return RequestAccess.check(access, connection.access(client.connection()), request, forwarded,
                    routed.target(), settings.routes(), client.remoteAddress(), later);
        }

        /**
         * Registers {@code client} under the grant, unless it is registered under this very verdict's
         * grant, to the same address, since the last change: the next request of a keep-alive
         * connection whose allow was reused (see {@link GrantRegistration}).
         */
        @Override
        public void allowed(ClientSide client, RequestAccess.Allowed allowed, RequestRouting.Routed routed) {
            OpenGrants grants = access.grants();
            long changes = grants.changes(); // before registering: a change meanwhile makes the next request register again
            InetAddress address = routed.address().getAddress();
            GrantRegistration registration = allowed.registration();
            if (registration.holds(client, changes, address, routed.tls())) {
                return;
            }
            grants.register(client, allowed.grant(), address, routed.tls());
            registration.registered(client, changes, address, routed.tls());
        }

        @Override
        public boolean offersSignIn() {
            return access.signIn().isPresent();
        }
    }
}
