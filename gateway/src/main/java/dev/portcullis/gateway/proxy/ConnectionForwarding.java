package dev.portcullis.gateway.proxy;

import dev.portcullis.gateway.access.ConnectionAccess;
import io.netty.channel.Channel;
import io.netty.util.AsciiString;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * What the requests of one client connection (an HTTP/1.1 keep-alive connection, or every stream of
 * an HTTP/2 connection) share on their way to workspaces, made once instead of per request: the
 * client's address as {@code X-Forwarded-For} writes it, the listener's port, and the last route's
 * {@code Host}, {@code Forwarded} value and workspace-pool key, reused while the next request goes
 * to the same workspace port at the same address; and the connection's {@link ConnectionAccess}, found
 * once rather than in the channel's attributes on every request. Used on the connection's event loop only.
 */
final class ConnectionForwarding {
    private final int listenerPort;
    private final AsciiString listenerPortText;
    private String clientIp;
    private String lastHostName;
    private String lastHost;
    private String lastForwarded;
    private UpstreamPool.Key lastKey;
    private ConnectionAccess access;

    ConnectionForwarding(int listenerPort) {
        this.listenerPort = listenerPort;
        this.listenerPortText = AsciiString.of(Integer.toString(listenerPort));
    }

    int listenerPort() {
        return listenerPort;
    }

    AsciiString listenerPortText() {
        return listenerPortText;
    }

    /** What {@code connection} (the client's TCP connection: an HTTP/2 stream's parent) proved so far. */
    ConnectionAccess access(Channel connection) {
        if (access == null) {
            access = ConnectionAccess.of(connection);
        }
        return access;
    }

    /** The client's address in RFC 5952 text (::1, 2001:db8::7), not Java's 0:0:0:0:0:0:0:1. */
    String clientIp(InetSocketAddress client) {
        if (clientIp == null) {
            clientIp = NetUtil.toAddressString(client.getAddress());
        }
        return clientIp;
    }

    /** The {@code Host} (and {@code X-Forwarded-Host}) the workspace gets for the port host {@code hostName}. */
    String host(String hostName) {
        if (!hostName.equals(lastHostName)) {
            lastHost = listenerPort == 443 ? hostName : hostName + ":" + listenerPort;
            lastHostName = hostName;
            lastForwarded = null;
        }
        return lastHost;
    }

    /** RFC 7239 {@code Forwarded} for the last {@link #host}. */
    String forwarded(String clientIp, String host) {
        if (lastForwarded == null) {
            // IPv6 nodes are quoted and bracketed.
            String node = clientIp.indexOf(':') >= 0 ? "\"[" + clientIp + "]\"" : clientIp;
            lastForwarded = "for=" + node + ";host=\"" + host + "\";proto=https";
        }
        return lastForwarded;
    }

    /** The pool key (and the workspace's socket address in it) for a workspace port, the last one's while it is the same. */
    UpstreamPool.Key poolKey(String workspaceId, InetAddress address, int port, boolean tls) {
        UpstreamPool.Key key = lastKey;
        if (key != null && key.tls() == tls && key.address().getPort() == port
            && key.address().getAddress().equals(address) && key.workspaceId().equals(workspaceId)) {
            return key;
        }
        lastKey = new UpstreamPool.Key(workspaceId, new InetSocketAddress(address, port), tls);
        return lastKey;
    }
}
