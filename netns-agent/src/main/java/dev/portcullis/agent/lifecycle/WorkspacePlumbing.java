package dev.portcullis.agent.lifecycle;

import static dev.portcullis.agent.lifecycle.KernelNames.WORKSPACE_DEVICE;
import static java.util.Objects.requireNonNull;

import dev.portcullis.agent.address.AddressPlan;
import dev.portcullis.agent.address.Ipv4Cidr;
import dev.portcullis.agent.address.Ipv6Cidr;
import dev.portcullis.agent.config.AgentConfig;
import dev.portcullis.agent.kernel.IpRoute;
import dev.portcullis.agent.kernel.Nft;
import dev.portcullis.agent.kernel.netlink.DeviceConf;
import dev.portcullis.agent.kernel.netlink.Links;
import dev.portcullis.agent.kernel.netlink.NetlinkException;
import dev.portcullis.agent.kernel.netlink.NetlinkSocket;
import dev.portcullis.agent.kernel.netlink.NetworkNamespaces;
import dev.portcullis.agent.kernel.netlink.NfTables;
import dev.portcullis.agent.nftables.Ruleset;
import dev.portcullis.agent.shaping.EgressShaper;
import dev.portcullis.agent.shaping.Exemption;
import dev.portcullis.agent.workspace.WorkspaceRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The kernel side of one workspace. {@link #ensure} brings every part to the desired state and is
 * safe to repeat after a failure at any point; {@link #teardown} removes every part that exists.
 */
final class WorkspacePlumbing {

    /** The agent's table is gone (deleted behind its back): the caller reloads it and tries again. */
    static final class TableMissingException extends RuntimeException {
        TableMissingException(String table) {
            super("table inet " + table + " is missing");
        }
    }

    private final AgentConfig config;
    private final KernelNames names;
    private final IpRoute ip;
    private final Nft nft;
    private final Ruleset ruleset;
    private final EgressShaper shaper;
    private final SpareNamespaces spares;

    WorkspacePlumbing(AgentConfig config, KernelNames names, IpRoute ip, Nft nft, Ruleset ruleset, EgressShaper shaper,
            SpareNamespaces spares) {
        this.config = requireNonNull(config, "config");
        this.names = requireNonNull(names, "names");
        this.ip = requireNonNull(ip, "ip");
        this.nft = requireNonNull(nft, "nft");
        this.ruleset = requireNonNull(ruleset, "ruleset");
        this.shaper = requireNonNull(shaper, "shaper");
        this.spares = requireNonNull(spares, "spares");
    }

    /** {@link #ensure(WorkspaceRecord, StepListener, Optional)} without a spare: a repair, or a create that found none. */
    void ensure(WorkspaceRecord ws, StepListener listener) {
        ensure(ws, listener, Optional.empty());
    }

    /**
     * No process: the namespace, links, addresses, routes and tc over netlink (a socket lent in the
     * host's namespace and one inside the workspace's, opened by a thread that entered it), one nftables
     * transaction over netlink, sysctls as files (the namespace's from a thread inside it). Existence
     * is read from /run/netns and /sys/class/net first, so a first create asks the kernel nothing just
     * to look. {@code spare}, claimed for this workspace's slot, holds everything but its name, its
     * nftables elements and its host end's up (see {@link SpareNamespaces}); it is used when the
     * workspace's namespace does not exist yet, and deleted otherwise.
     */
    void ensure(WorkspaceRecord ws, StepListener listener, Optional<SpareNamespaces.Spare> spare) {
        String ns = names.namespace(ws.id());
        String host;
        boolean newNamespace;
        try {
            host = ownHostInterface(ws);
            newNamespace = !ip.namespaceExists(ns);
            if (!newNamespace && NetworkNamespaces.halfMade(ns)) {
                // A handle with no namespace on it (an agent stopped between the two): it cannot be entered.
                ip.deleteNamespace(ns);
                newNamespace = true;
            }
        } catch (RuntimeException e) {
            spare.ifPresent(spares::discard); // not left claimed by nobody
            throw e;
        }
        if (spare.isPresent()) {
            boolean fits = newNamespace && spare.get().slot() == ws.slot() && spare.get().link().equals(host);
            if (fits && spares.name(spare.get(), ns)) {
                fromSpare(ws, listener, ns, host, spare.get());
                return;
            }
            if (!fits) {
                spares.discard(spare.get()); // its pair has the slot's link name: gone before the link is built below
            }
        }
        try (NetlinkSocket hostSocket = NetlinkSocket.host()) {
            Links hostLinks = new Links(hostSocket);
            if (newNamespace && ip.hostLinkExists(host)) {
                IpRoute.deleteLink(hostLinks, host); // a lone end: its peer cannot be in a namespace made now
            }
            try (NetlinkSocket inside = newNamespace ? newNamespace(ns) : enter(ns)) {
                ensure(ws, listener, ns, host, newNamespace, hostSocket, hostLinks, inside);
            }
        }
    }

    /**
     * A spare made for this slot, now named for the workspace: its host end goes up, the table learns
     * the workspace, and only a limit other than the agent's defaults is set again.
     */
    private void fromSpare(WorkspaceRecord ws, StepListener listener, String ns, String host, SpareNamespaces.Spare spare) {
        try (NetlinkSocket inside = spare.socket(); NetlinkSocket hostSocket = NetlinkSocket.host()) {
            ip.announceChange("set link " + host + " up");
            new Links(hostSocket).setUp(spare.pair().hostIndex(), host);
            listener.after(CreateStep.HOST_SIDE_SET, ws.id());
            listener.after(CreateStep.WORKSPACE_SIDE_SET, ws.id()); // addresses and routes: set while it waited
            addElements(ws);
            listener.after(CreateStep.NFTABLES_ELEMENTS_ADDED, ws.id());
            listener.after(CreateStep.SYSCTLS_SET, ws.id()); // both sides': set when it was made
            AddressPlan.Slot slot = config.addressPlan().slot(ws.slot());
            int egress = effectiveEgress(ws);
            if (egress != config.defaultEgressMbit()) {
                shaper.apply(ns, inside, WORKSPACE_DEVICE, egress, config.defaultEgressMbit() == 0,
                        egressExemption(slot));
            }
            listener.after(CreateStep.EGRESS_SHAPED, ws.id());
            int ingress = effectiveIngress(ws);
            if (ingress != config.defaultIngressMbit()) {
                shaper.apply(null, hostSocket, host, ingress, config.defaultIngressMbit() == 0,
                        ingressExemption(slot));
            }
            listener.after(CreateStep.INGRESS_SHAPED, ws.id());
        }
    }

    /**
     * What a spare at {@code slot} carries (see {@link SpareNamespaces}): the slot's veth pair, born into
     * {@code namespace}; the host end's sysctls (forwarding, rp_filter, disable_ipv6: the last one has
     * no netlink setter and its file's handler takes the kernel's network lock), both ends' addresses,
     * lo and eth0 up with the default routes, and the agent's default limits in both directions. The
     * host end stays down, so nothing reaches the host through it before a create takes it; IPv4 and
     * IPv6 (nodad) accept the addresses and routes on an eth0 without carrier.
     */
    SpareNamespaces.Pair prepareSlot(int slotIndex, String namespace, NetlinkSocket inside) {
        AddressPlan.Slot slot = config.addressPlan().slot(slotIndex);
        String host = names.slotInterface(slotIndex);
        int prefixLength = slot.network().prefixLength();
        try (NetlinkSocket hostSocket = NetlinkSocket.host()) {
            Links hostLinks = new Links(hostSocket);
            if (ip.hostLinkExists(host)) {
                // No workspace and no other spare has the slot (it is reserved for this one): the lone end
                // of a namespace deleted before, which the kernel had not yet released.
                IpRoute.deleteLink(hostLinks, host);
            }
            hostLinks.addVethPair(host, WORKSPACE_DEVICE, namespace);
            int hostIndex = hostLinks.requireIndex(host);
            setHostSysctls(ip, hostLinks, hostIndex, host, hostSysctls(config, host));
            hostLinks.replaceAddress(hostIndex, host, slot.host().toString(), prefixLength, false);
            slot.ipv6().ifPresent(link -> hostLinks.replaceAddress(hostIndex, host, link.host().toString(), 127, true));
            Links workspaceLinks = new Links(inside);
            int eth0 = workspaceLinks.requireIndex(WORKSPACE_DEVICE);
            workspaceLinks.setUp(SpareNamespaces.LOOPBACK_INDEX, "lo");
            workspaceLinks.setUp(eth0, WORKSPACE_DEVICE);
            insideAddresses(workspaceLinks, eth0, slot, prefixLength);
            if (config.defaultEgressMbit() > 0) {
                shaper.apply(namespace, inside, WORKSPACE_DEVICE, config.defaultEgressMbit(), true,
                        egressExemption(slot));
            }
            if (config.defaultIngressMbit() > 0) {
                shaper.apply(null, hostSocket, host, config.defaultIngressMbit(), true,
                        ingressExemption(slot));
            }
            return new SpareNamespaces.Pair(hostIndex, eth0);
        }
    }

    private static void insideAddresses(Links workspaceLinks, int eth0, AddressPlan.Slot slot, int prefixLength) {
        workspaceLinks.replaceAddress(eth0, WORKSPACE_DEVICE, slot.workspace().toString(), prefixLength, false);
        workspaceLinks.replaceDefaultRoute(slot.host().toString(), eth0, WORKSPACE_DEVICE);
        slot.ipv6().ifPresent(link -> {
            workspaceLinks.replaceAddress(eth0, WORKSPACE_DEVICE, link.workspace().toString(), 127, true);
            workspaceLinks.replaceDefaultRoute(link.host().toString(), eth0, WORKSPACE_DEVICE);
        });
    }

    private void ensure(WorkspaceRecord ws, StepListener listener, String ns, String host, boolean newNamespace,
            NetlinkSocket hostSocket, Links hostLinks, NetlinkSocket inside) {
        AddressPlan.Slot slot = config.addressPlan().slot(ws.slot());
        int prefixLength = slot.network().prefixLength();
        Links workspaceLinks = new Links(inside);
        // A namespace made just now is empty; only an older one needs a look inside.
        boolean peerInside = !newNamespace && workspaceLinks.index(WORKSPACE_DEVICE).isPresent();
        boolean hostEnd = ip.hostLinkExists(host);
        boolean newHostEnd = !hostEnd || !peerInside; // made below: only the kernel's default qdisc
        if (hostEnd && !peerInside) {
            // Its peer is not where it belongs: start the pair over (a link whose namespace was just
            // deleted may vanish before the delete comes, which is fine).
            IpRoute.deleteLink(hostLinks, host);
            hostEnd = false;
        }
        if (!hostEnd) {
            if (peerInside) {
                workspaceLinks.delete(WORKSPACE_DEVICE);
            }
            // The workspace end is born inside the namespace, so it never exists in the host namespace.
            hostLinks.addVethPair(host, WORKSPACE_DEVICE, ns);
        }
        int hostIndex = hostLinks.requireIndex(host);
        hostLinks.replaceAddress(hostIndex, host, slot.host().toString(), prefixLength, false);
        hostLinks.setUp(hostIndex, host);
        slot.ipv6().ifPresent(link -> {
            // A link may have IPv6 off (made before the host had a prefix, or a host whose default is
            // off): on before the address.
            ip.hostSysctl("net.ipv6.conf." + host + ".disable_ipv6", "0");
            // nodad: the /127 has exactly one other end; waiting for duplicate detection would only
            // delay the workspace's route through it.
            hostLinks.replaceAddress(hostIndex, host, link.host().toString(), 127, true);
        });
        listener.after(CreateStep.HOST_SIDE_SET, ws.id());

        if (!newNamespace && slot.ipv6().isPresent()) {
            // An older namespace may have IPv6 off (made before the host had a prefix): on before the address.
            ip.namespaceSysctls(ns, namespaceSysctls(config));
        }
        int eth0 = workspaceLinks.requireIndex(WORKSPACE_DEVICE);
        workspaceLinks.setUp(SpareNamespaces.LOOPBACK_INDEX, "lo");
        workspaceLinks.setUp(eth0, WORKSPACE_DEVICE);
        insideAddresses(workspaceLinks, eth0, slot, prefixLength);
        listener.after(CreateStep.WORKSPACE_SIDE_SET, ws.id());

        // The filter before the forwarding: the link never forwards a packet the table does not yet know.
        addElements(ws);
        listener.after(CreateStep.NFTABLES_ELEMENTS_ADDED, ws.id());

        // Forwarding only for packets arriving from this workspace's link (see globalForwarding).
        setHostSysctls(ip, hostLinks, hostIndex, host, hostSysctls(config, host));
        if (!newNamespace) {
            ip.namespaceSysctls(ns, namespaceSysctls(config)); // a new one got them when it was made
        }
        listener.after(CreateStep.SYSCTLS_SET, ws.id());

        int egress = effectiveEgress(ws);
        if (egress > 0 || !newNamespace) { // a namespace made just now has no limit to remove
            shaper.apply(ns, inside, WORKSPACE_DEVICE, egress, newNamespace,
                    egressExemption(slot));
        }
        listener.after(CreateStep.EGRESS_SHAPED, ws.id());

        int ingress = effectiveIngress(ws);
        if (ingress > 0 || !newHostEnd) {
            shaper.apply(null, hostSocket, host, ingress, newHostEnd, ingressExemption(slot));
        }
        listener.after(CreateStep.INGRESS_SHAPED, ws.id());
    }

    /** One nf_tables transaction over netlink from here (no hand-off to nft, see NfTables). */
    private void addElements(WorkspaceRecord ws) {
        ip.announceChange("add nftables elements of " + ws.id());
        try {
            NfTables.add(Ruleset.FAMILY, config.tableName(), Ruleset.kernelElements(ruleset.workspaceElements(List.of(ws))));
        } catch (NetlinkException e) {
            if (!nft.tableExists(Ruleset.FAMILY, config.tableName())) {
                throw new TableMissingException(config.tableName());
            }
            throw e;
        }
    }

    /** A namespace made now (no spare was ready), with its own sysctls set by the thread that made it, before its eth0 exists. */
    private NetlinkSocket newNamespace(String ns) {
        ip.announceChange("create network namespace " + ns);
        return NetworkNamespaces.create(ns, namespaceSysctls(config));
    }

    private NetlinkSocket enter(String ns) {
        ip.announceChange("enter network namespace " + ns);
        return NetworkNamespaces.open(ns);
    }

    /** Removes whatever exists of the workspace; each part is checked first, so it may be repeated. */
    void teardown(WorkspaceRecord ws) {
        removeElements(ws);
        // The link first: deleting it removes both ends at once, while a deleted namespace releases its
        // links later, in the background. A link that vanished meanwhile counts as deleted.
        String host = ownHostInterface(ws);
        String ns = names.namespace(ws.id());
        if (ip.hostLinkExists(host)) {
            ip.deleteHostLink(host);
        }
        if (ip.namespaceExists(ns)) {
            ip.deleteNamespace(ns);
        }
    }

    /**
     * One transaction deletes the three elements; it fails whole if one is missing (a half-made
     * workspace), and only then is the table listed to delete what is there. Listing costs time in
     * proportion to the workspaces on the host, so the common case never lists.
     */
    private void removeElements(WorkspaceRecord ws) {
        Map<String, List<String>> wanted = ruleset.workspaceElements(List.of(ws));
        ip.announceChange("delete nftables elements of " + ws.id());
        try {
            NfTables.delete(Ruleset.FAMILY, config.tableName(), Ruleset.kernelElements(wanted));
            return;
        } catch (NetlinkException e) {
            // one of them (or the table) is missing: the listing below says which are there
        }
        nft.setElements(Ruleset.FAMILY, config.tableName()).ifPresent(actual -> {
            Map<String, List<String>> present = new LinkedHashMap<>();
            wanted.forEach((set, elements) -> present.put(set, new ArrayList<>(
                    elements.stream().filter(e -> actual.getOrDefault(set, List.of()).contains(e)).toList())));
            NfTables.delete(Ruleset.FAMILY, config.tableName(), Ruleset.kernelElements(present));
        });
    }

    /** The second wall behind the start-up check: a link the agent did not name is never touched. */
    private String ownHostInterface(WorkspaceRecord ws) {
        if (!names.isHostInterfaceOf(ws.id(), ws.slot(), ws.hostInterface())) {
            throw new IllegalStateException("workspace " + ws.id() + ": hostInterface '" + ws.hostInterface()
                    + "' is not a name this agent derives from its slot or id (expected: one of "
                    + names.hostInterfaceCandidates(ws.id(), ws.slot()) + ")");
        }
        return ws.hostInterface();
    }

    /**
     * The gateways' addresses as the workspace sees them: {@code gatewayAddresses}, and its host end
     * when the host itself is a gateway (a gateway on this host reaches the workspace from there).
     * What a workspace exchanges with them bypasses its limits unless {@code shapeGatewayTraffic}:
     * the gateway shares its bandwidth between workspaces itself, and an IDE answering its own user
     * should not wait behind the workspace's downloads.
     */
    private List<Ipv4Cidr> gateways(AddressPlan.Slot slot) {
        if (config.shapeGatewayTraffic()) {
            return List.of();
        }
        List<Ipv4Cidr> gateways = new ArrayList<>(config.gatewayAddresses());
        if (config.allowHostToWorkspaces()) {
            gateways.add(new Ipv4Cidr(slot.host(), 32));
        }
        return gateways;
    }

    /** The same in IPv6: {@code gatewayIpv6Addresses}, and the host end's IPv6 address when the host is a gateway. */
    private List<Ipv6Cidr> ipv6Gateways(AddressPlan.Slot slot) {
        if (config.shapeGatewayTraffic() || slot.ipv6().isEmpty()) {
            return List.of();
        }
        List<Ipv6Cidr> gateways = new ArrayList<>(config.gatewayIpv6Addresses());
        if (config.allowHostToWorkspaces()) {
            gateways.add(new Ipv6Cidr(slot.ipv6().get().host(), 128));
        }
        return gateways;
    }

    /** What leaves the workspace for a gateway is not limited (see {@link #gateways}). */
    private Exemption egressExemption(AddressPlan.Slot slot) {
        return Exemption.to(gateways(slot), ipv6Gateways(slot));
    }

    /** What a gateway sends the workspace is not limited (see {@link #gateways}). */
    private Exemption ingressExemption(AddressPlan.Slot slot) {
        return Exemption.from(gateways(slot), ipv6Gateways(slot));
    }

    private String expectedEgress(WorkspaceRecord ws) {
        AddressPlan.Slot slot = config.addressPlan().slot(ws.slot());
        return shaper.expected(effectiveEgress(ws), egressExemption(slot));
    }

    private String expectedIngress(WorkspaceRecord ws) {
        AddressPlan.Slot slot = config.addressPlan().slot(ws.slot());
        return shaper.expected(effectiveIngress(ws), ingressExemption(slot));
    }

    /** What {@link #ensure} has just made, each part confirmed by its command's exit code, so not read back. */
    ActualWorkspace programmed(WorkspaceRecord ws) {
        String egress = expectedEgress(ws);
        String ingress = expectedIngress(ws);
        return new ActualWorkspace(true, true, true, true, true, true, true, true, List.of(), egress, egress, ingress, ingress);
    }

    /**
     * The host end's sysctls: forwarding for packets that arrive from this link only (see
     * globalForwarding), strict reverse-path filtering; IPv6 off, or, when the host has a prefix, on
     * with the link a router: {@code force_forwarding} forwards what arrives on this link only
     * (kernel 6.17+; IPv6 has no per-link {@code forwarding} that does that, and the global one
     * would also stop the uplink from accepting router advertisements), and no router advertisement
     * or redirect from a workspace changes the host's routes. The host's own links are never touched.
     */
    static Map<String, String> hostSysctls(AgentConfig config, String link) {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("net.ipv4.conf." + link + ".forwarding", "1");
        values.put("net.ipv4.conf." + link + ".rp_filter", "1");
        if (config.ipv6()) {
            values.put("net.ipv6.conf." + link + ".disable_ipv6", "0");
            values.put("net.ipv6.conf." + link + ".forwarding", "1");
            values.put("net.ipv6.conf." + link + ".force_forwarding", "1");
            values.put("net.ipv6.conf." + link + ".accept_ra", "0");
            values.put("net.ipv6.conf." + link + ".accept_redirects", "0");
        } else {
            values.put("net.ipv6.conf." + link + ".disable_ipv6", "1");
        }
        return values;
    }

    /**
     * Sets a host end's sysctls: the IPv4 keys in one netlink request (it waits for the kernel's network
     * lock, where the file's handler retries the write until the lock is free); IPv6 has no netlink
     * setter: files, each written only when it differs.
     */
    static void setHostSysctls(IpRoute ip, Links hostLinks, int index, String link, Map<String, String> sysctls) {
        Map<Integer, Integer> ipv4 = new LinkedHashMap<>();
        sysctls.forEach((key, value) -> {
            Optional<Integer> id = key.startsWith("net.ipv4.conf." + link + ".")
                    ? DeviceConf.ipv4Id(key.substring(key.lastIndexOf('.') + 1)) : Optional.empty();
            if (id.isPresent()) {
                ipv4.put(id.get(), Integer.parseInt(value));
            } else {
                ip.hostSysctl(key, value);
            }
        });
        hostLinks.setIpv4Conf(index, link, ipv4);
    }

    /**
     * Inside the namespace: strict reverse-path filtering, IPv6 on only when the host has a prefix;
     * {@code default} too, so a link made in the namespace later (its eth0) starts that way.
     */
    static Map<String, String> namespaceSysctls(AgentConfig config) {
        String disable = config.ipv6() ? "0" : "1";
        Map<String, String> values = new LinkedHashMap<>();
        values.put("net.ipv6.conf.default.disable_ipv6", disable);
        values.put("net.ipv6.conf.all.disable_ipv6", disable);
        values.put("net.ipv4.conf.all.rp_filter", "1");
        return values;
    }

    /** What a workspace recorded but not yet built or looked at has: nothing yet. */
    ActualWorkspace notYetBuilt(WorkspaceRecord ws) {
        return new ActualWorkspace(false, false, false, false, false, false, false, false, List.of(), "", expectedEgress(ws), "",
                expectedIngress(ws));
    }

    /**
     * What the kernel has for one workspace, read over netlink: the host end from the pass's
     * {@link HostView} (one dump for all workspaces), the workspace side through a socket inside its
     * namespace (a handful of dumps there), sysctls as files.
     */
    ActualWorkspace observe(WorkspaceRecord ws, Map<String, List<String>> nftSets, HostView hostView) {
        String ns = names.namespace(ws.id());
        AddressPlan.Slot slot = config.addressPlan().slot(ws.slot());
        String prefix = "/" + slot.network().prefixLength();
        // A handle without a namespace on it (see NetworkNamespaces#halfMade) cannot be entered: as missing.
        boolean namespace = ip.namespaceExists(ns) && !NetworkNamespaces.halfMade(ns);
        Optional<Integer> hostIndex = hostView.index(ws.hostInterface());
        boolean hostLink = hostIndex.isPresent();
        boolean hostLinkUp = hostIndex.map(hostView::up).orElse(false);
        Optional<IpRoute.DeviceState> inside = Optional.empty();
        String egress = "";
        if (namespace) {
            try (NetlinkSocket socket = NetworkNamespaces.open(ns)) {
                Links links = new Links(socket);
                inside = IpRoute.deviceState(links, WORKSPACE_DEVICE);
                if (inside.isPresent()) {
                    egress = shaper.current(socket, WORKSPACE_DEVICE).orElse("");
                }
            } catch (NetlinkException e) {
                if (ip.namespaceExists(ns)) {
                    throw e;
                }
                // deleted while we looked: as missing
            }
        }
        boolean workspaceLink = inside.isPresent();
        List<String> hostWants = new ArrayList<>(List.of(slot.host() + prefix));
        List<String> workspaceWants = new ArrayList<>(List.of(slot.workspace() + prefix));
        List<String> gatewaysWanted = new ArrayList<>(List.of(slot.host().toString()));
        slot.ipv6().ifPresent(link -> {
            hostWants.add(link.host() + "/127");
            workspaceWants.add(link.workspace() + "/127");
            gatewaysWanted.add(link.host().toString());
        });
        boolean hostAddress = hostLink && hostView.addresses(hostIndex.get()).containsAll(hostWants);
        boolean workspaceAddress = inside.map(d -> d.addresses().containsAll(workspaceWants)).orElse(false);
        boolean route = inside.map(d -> d.defaultGateways().containsAll(gatewaysWanted)).orElse(false);
        boolean elements = ruleset.workspaceElements(List.of(ws)).entrySet().stream()
                .allMatch(e -> nftSets.getOrDefault(e.getKey(), List.of()).containsAll(e.getValue()));
        String ingress = hostLink ? hostView.shaping(shaper, hostIndex.get(), ws.hostInterface()).orElse("") : "";
        List<String> sysctlsWrong = new ArrayList<>();
        if (hostLink) {
            // From the pass's link dump; a key it does not carry from its file.
            hostSysctls(config, ws.hostInterface()).forEach((key, expected) -> hostView.sysctl(hostIndex.get(), key)
                    .or(() -> ip.readHostSysctl(key))
                    .filter(actual -> !actual.equals(expected))
                    .ifPresent(actual -> sysctlsWrong.add(key + "=" + actual + " (expected: " + expected + ")")));
        }
        return new ActualWorkspace(namespace, hostLink, hostLinkUp, workspaceLink, hostAddress, workspaceAddress, route, elements,
                sysctlsWrong, egress, expectedEgress(ws), ingress, expectedIngress(ws));
    }

    /** One workspace looked at on its own (a repair's second look, inspect): a host view of its own. */
    ActualWorkspace observe(WorkspaceRecord ws, Map<String, List<String>> nftSets) {
        try (HostView hostView = HostView.read()) {
            return observe(ws, nftSets, hostView);
        }
    }

    int effectiveEgress(WorkspaceRecord ws) {
        return ws.egressMbit() > 0 ? ws.egressMbit() : config.defaultEgressMbit();
    }

    int effectiveIngress(WorkspaceRecord ws) {
        return ws.ingressMbit() > 0 ? ws.ingressMbit() : config.defaultIngressMbit();
    }
}
