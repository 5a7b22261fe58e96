package dev.portcullis.gateway.route;

import static java.util.Objects.requireNonNull;

import io.netty.util.NetUtil;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which addresses a workspace route may lead to, checked for every route source (static routes,
 * route files, the store) before a route is used: only addresses inside the configured workspace
 * address ranges, and never the gateway's own host. A stale or forged route must not send a user's
 * request, and the credentials in it, to another machine or to the gateway host's own services
 * (the admin listener, sshd, a cloud metadata endpoint).
 *
 * <p>Refused outright, whatever the ranges say: link-local addresses (169.254.0.0/16, where clouds
 * serve instance metadata and credentials, and fe80::/10), the unspecified address, multicast, and
 * every address of this host's interfaces. Loopback is the host too, and is refused unless a
 * configured range lies wholly inside loopback (127.0.0.0/8 or ::1/128): an operator has to name
 * loopback on purpose, for development and tests; {@code 0.0.0.0/0} does not count.
 */
public final class RouteGuard {
    private static final Logger log = LoggerFactory.getLogger(RouteGuard.class);
    /** Interface addresses change (an agent adds a veth per workspace); re-read at most this often. */
    private static final Duration HOST_ADDRESS_REFRESH = Duration.ofSeconds(1);

    /** Why a route is refused: {@code reason} is the metric label, {@code message} says it to a person. */
    public record Refusal(String reason, String message) {
        public static final String OUTSIDE_RANGES = "outside_ranges";
        public static final String GATEWAY_HOST = "gateway_host";
    }

    /** Counts refused routes (by source and reason), e.g. into the gateway's metrics. */
    @FunctionalInterface
    public interface RefusalCounter {
        void refused(String source, String reason);

        RefusalCounter NONE = (source, reason) -> { };
    }

    private final List<AddressRange> ranges;
    private final boolean loopbackNamed;
    private final Supplier<Set<InetAddress>> hostAddresses;
    private final LongSupplier nanoTime;
    private final RefusalCounter counter;
    private volatile Set<InetAddress> knownHostAddresses = Set.of();
    private volatile long hostAddressesReadAt;
    private volatile boolean hostAddressesRead;

    RouteGuard(List<AddressRange> ranges, Supplier<Set<InetAddress>> hostAddresses, LongSupplier nanoTime,
               RefusalCounter counter) {
        this.ranges = List.copyOf(ranges);
        this.loopbackNamed = this.ranges.stream().anyMatch(RouteGuard::isLoopbackRange);
        this.hostAddresses = requireNonNull(hostAddresses, "hostAddresses");
        this.nanoTime = requireNonNull(nanoTime, "nanoTime");
        this.counter = requireNonNull(counter, "counter");
    }

    /**
     * A guard for a running gateway: the host's addresses are read from its interfaces (and read
     * again when older than a second), plus {@code listenerAddresses}.
     */
    public static RouteGuard forHost(List<AddressRange> ranges, Set<InetAddress> listenerAddresses, RefusalCounter counter) {
        Set<InetAddress> listeners = Set.copyOf(listenerAddresses);
        return new RouteGuard(ranges, () -> {
            Set<InetAddress> addresses = new HashSet<>(interfaceAddresses());
            addresses.addAll(listeners);
            return addresses;
        }, System::nanoTime, counter);
    }

    /** A guard that knows only {@code gatewayAddresses} as the host's (for checks at config time). */
    public static RouteGuard withAddresses(List<AddressRange> ranges, Set<InetAddress> gatewayAddresses) {
        Set<InetAddress> addresses = Set.copyOf(gatewayAddresses);
        return new RouteGuard(ranges, () -> addresses, System::nanoTime, RefusalCounter.NONE);
    }

    public List<AddressRange> ranges() {
        return ranges;
    }

    /** Why a route to {@code address} must not be used, or {@code null} when it may be. */
    public Refusal refusal(InetAddress address) {
        requireNonNull(address, "address");
        String where = NetUtil.toAddressString(address);
        if (address.isLinkLocalAddress()) {
            return new Refusal(Refusal.GATEWAY_HOST, where + " is link-local (cloud instance metadata lives at"
                    + " 169.254.169.254): never a workspace");
        }
        if (address.isAnyLocalAddress() || address.isMulticastAddress()) {
            return new Refusal(Refusal.GATEWAY_HOST, where + " is not a unicast address: never a workspace");
        }
        if (address.isLoopbackAddress()) {
            if (!loopbackNamed) {
                return new Refusal(Refusal.GATEWAY_HOST, where + " is loopback, the gateway's own host (expected: an"
                        + " address in a workspace network; loopback is allowed only when workspaceAddressRanges"
                        + " names a loopback range, for development)");
            }
        } else if (hostAddresses().contains(address)) {
            return new Refusal(Refusal.GATEWAY_HOST, where + " is an address of the gateway's own host");
        }
        if (ranges.stream().noneMatch(range -> range.contains(address))) {
            return new Refusal(Refusal.OUTSIDE_RANGES, where + " is outside the workspace address ranges "
                    + ranges + " (workspaceAddressRanges)");
        }
        return null;
    }

    /** Where routes come from, as the metric's {@code source} label. */
    public static final String ROUTE_FILE = "route_file";
    public static final String STORE = "store";

    /**
     * Whether a route of {@code workspaceId} to {@code address} may be used; a refused one is logged
     * and counted here, so every source reports it the same way.
     *
     * @param source {@link #ROUTE_FILE} or {@link #STORE}
     * @param origin where exactly it came from, for the log (a file, a store key)
     */
    public boolean admits(String source, String origin, String workspaceId, InetAddress address) {
        Refusal refusal = refusal(address);
        if (refusal == null) {
            return true;
        }
        log.error("{}: route of workspace '{}' refused, it is not used: {}", origin, workspaceId, refusal.message());
        counter.refused(source, refusal.reason());
        return false;
    }

    private Set<InetAddress> hostAddresses() {
        long now = nanoTime.getAsLong();
        if (!hostAddressesRead || now - hostAddressesReadAt > HOST_ADDRESS_REFRESH.toNanos()) {
            knownHostAddresses = Set.copyOf(hostAddresses.get());
            hostAddressesReadAt = now;
            hostAddressesRead = true;
        }
        return knownHostAddresses;
    }

    private static boolean isLoopbackRange(AddressRange range) {
        boolean v4 = range.network() instanceof Inet4Address;
        return v4 ? range.prefixLength() >= 8 && range.network().isLoopbackAddress()
                : range.prefixLength() == 128 && range.network().isLoopbackAddress();
    }

    /** Every address of every interface of this host, up or not; empty when they cannot be listed. */
    static Set<InetAddress> interfaceAddresses() {
        Set<InetAddress> addresses = new HashSet<>();
        try {
            NetworkInterface.networkInterfaces()
                    .forEach(networkInterface -> networkInterface.inetAddresses().forEach(addresses::add));
        } catch (SocketException e) {
            log.warn("cannot list this host's interface addresses; routes to them are refused only by the ranges: {}",
                    e.getMessage());
        }
        return addresses;
    }
}
