package dev.portcullis.agent.lifecycle;

import dev.portcullis.agent.kernel.netlink.DeviceConf;
import dev.portcullis.agent.kernel.netlink.Links;
import dev.portcullis.agent.kernel.netlink.NetlinkSocket;
import dev.portcullis.agent.kernel.netlink.TrafficControl;
import dev.portcullis.agent.shaping.EgressShaper;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The host namespace's links (with their per-interface sysctls), addresses and root qdiscs as one
 * reconcile pass sees them: three netlink dumps for all workspaces together, instead of a look (and
 * a handful of /proc/sys files) per workspace. What each host end's
 * tc classes and filters are is read per link when asked (two dumps of that link only), through the
 * same socket, which is safe from several lookers at once (the socket takes one request at a time).
 */
final class HostView implements AutoCloseable {

    private final NetlinkSocket socket;
    private final Map<String, Integer> indexes = new HashMap<>();
    private final Map<Integer, List<String>> addresses = new HashMap<>();
    private final Map<Integer, TrafficControl.Qdisc> roots = new HashMap<>();
    private final Map<Integer, DeviceConf> confs = new HashMap<>();
    private final Set<Integer> up = new HashSet<>();

    private HostView(NetlinkSocket socket) {
        this.socket = socket;
    }

    static HostView read() {
        NetlinkSocket socket = NetlinkSocket.host();
        try {
            HostView view = new HostView(socket);
            Links links = new Links(socket);
            links.links().forEach(link -> {
                view.indexes.put(link.name(), link.index());
                view.confs.put(link.index(), link.conf());
                if (link.up()) {
                    view.up.add(link.index());
                }
            });
            links.addresses(0).forEach(a -> view.addresses.computeIfAbsent(a.index(), i -> new ArrayList<>()).add(a.cidr()));
            new TrafficControl(socket).qdiscs().stream().filter(q -> q.qdisc().parent() == TrafficControl.TC_H_ROOT)
                    .forEach(q -> view.roots.put(q.index(), q.qdisc()));
            return view;
        } catch (RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    Optional<Integer> index(String link) {
        return Optional.ofNullable(indexes.get(link));
    }

    /** The link was set up (a workspace's host end is; a spare's waits down until a create takes it). */
    boolean up(int index) {
        return up.contains(index);
    }

    List<String> addresses(int index) {
        return addresses.getOrDefault(index, List.of());
    }

    /**
     * A per-interface sysctl of this host link ("net.ipv4.conf.LINK.forwarding") as the link dump
     * showed it; empty for a key the dump does not carry (the caller reads the file then).
     */
    Optional<String> sysctl(int index, String key) {
        return Optional.ofNullable(confs.get(index)).flatMap(conf -> conf.value(key)).map(String::valueOf);
    }

    /** What {@link EgressShaper#current} says of this host link. */
    Optional<String> shaping(EgressShaper shaper, int index, String device) {
        return shaper.current(new TrafficControl(socket), index, device, Optional.ofNullable(roots.get(index)));
    }

    @Override
    public void close() {
        socket.close();
    }
}
