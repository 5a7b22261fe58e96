package dev.portcullis.agent.lifecycle;

import static dev.portcullis.agent.lifecycle.KernelNames.WORKSPACE_DEVICE;
import static java.util.Objects.requireNonNull;

import dev.portcullis.agent.address.AddressPlan;
import dev.portcullis.agent.address.Ipv4Cidr;
import dev.portcullis.agent.config.AgentConfig;
import dev.portcullis.agent.kernel.CommandBatch;
import dev.portcullis.agent.kernel.CommandFailedException;
import dev.portcullis.agent.kernel.CommandResult;
import dev.portcullis.agent.kernel.IpRoute;
import dev.portcullis.agent.kernel.Nft;
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

    WorkspacePlumbing(AgentConfig config, KernelNames names, IpRoute ip, Nft nft, Ruleset ruleset, EgressShaper shaper) {
        this.config = requireNonNull(config, "config");
        this.names = requireNonNull(names, "names");
        this.ip = requireNonNull(ip, "ip");
        this.nft = requireNonNull(nft, "nft");
        this.ruleset = requireNonNull(ruleset, "ruleset");
        this.shaper = requireNonNull(shaper, "shaper");
    }

    /**
     * One process per side: the host side (namespace, veth pair, host end) in one {@code ip -batch},
     * the workspace side in one {@code ip -n <ns> -batch}, the namespace's sysctls in one process, one
     * nft transaction, one {@code tc -batch}. Existence is read from /run/netns and /sys/class/net, so a
     * first create forks nothing just to look.
     */
    void ensure(WorkspaceRecord ws, StepListener listener) {
        String ns = names.namespace(ws.id());
        String host = ownHostInterface(ws);
        AddressPlan.Slot slot = config.addressPlan().slot(ws.slot());
        String prefix = "/" + slot.network().prefixLength();

        CommandBatch hostSide = ip.batch(null);
        boolean newNamespace = !ip.namespaceExists(ns);
        if (newNamespace) {
            hostSide.add("netns", "add", ns);
        }
        // A namespace made just now is empty; only an older one needs a look inside (a fork).
        boolean peerInside = !newNamespace && ip.linkExistsIn(ns, WORKSPACE_DEVICE);
        boolean hostEnd = ip.hostLinkExists(host);
        boolean newHostEnd = !hostEnd || !peerInside; // made below: only the kernel's default qdisc
        if (hostEnd && !peerInside) {
            // Its peer is not where it belongs: start the pair over. On its own, because a link whose
            // namespace was just deleted may vanish before the delete comes, which is fine.
            ip.deleteHostLink(host);
            hostEnd = false;
        }
        if (!hostEnd) {
            if (peerInside) {
                ip.deleteLinkIn(ns, WORKSPACE_DEVICE);
            }
            // The workspace end is born inside the namespace, so it never exists in the host namespace.
            hostSide.add("link", "add", host, "type", "veth", "peer", "name", WORKSPACE_DEVICE, "netns", ns);
        }
        hostSide.add("addr", "replace", slot.host() + prefix, "dev", host);
        hostSide.add("link", "set", "dev", host, "up");
        hostSide.run();
        listener.after(CreateStep.HOST_SIDE_SET, ws.id());

        ip.batch(ns)
                .add("addr", "replace", slot.workspace() + prefix, "dev", WORKSPACE_DEVICE)
                .add("link", "set", "dev", "lo", "up")
                .add("link", "set", "dev", WORKSPACE_DEVICE, "up")
                .add("route", "replace", "default", "via", slot.host().toString(), "dev", WORKSPACE_DEVICE)
                .run();
        listener.after(CreateStep.WORKSPACE_SIDE_SET, ws.id());

        // The filter before the forwarding: the link never forwards a packet the table does not yet know.
        String elements = ruleset.addScript(ruleset.workspaceElements(List.of(ws)));
        CommandResult added = nft.tryApply(elements);
        if (!added.ok()) {
            if (!nft.tableExists(Ruleset.FAMILY, config.tableName())) {
                throw new TableMissingException(config.tableName());
            }
            throw new CommandFailedException(List.of("nft", "-f", "-"), added);
        }
        listener.after(CreateStep.NFTABLES_ELEMENTS_ADDED, ws.id());

        // Forwarding only for packets arriving from this workspace's link (see globalForwarding).
        // The host's own sysctls are files the agent writes directly, no process needed.
        hostSysctls(host).forEach(ip::hostSysctl);
        ip.namespaceSysctls(ns, Map.of("net.ipv6.conf.all.disable_ipv6", "1", "net.ipv4.conf.all.rp_filter", "1"));
        listener.after(CreateStep.SYSCTLS_SET, ws.id());

        int egress = effectiveEgress(ws);
        if (egress > 0 || !newNamespace) { // a namespace made just now has no limit to remove
            shaper.apply(ns, WORKSPACE_DEVICE, egress, newNamespace, Exemption.to(gateways(slot)));
        }
        listener.after(CreateStep.EGRESS_SHAPED, ws.id());

        int ingress = effectiveIngress(ws);
        if (ingress > 0 || !newHostEnd) {
            shaper.apply(null, host, ingress, newHostEnd, Exemption.from(gateways(slot)));
        }
        listener.after(CreateStep.INGRESS_SHAPED, ws.id());
    }

    /** Removes whatever exists of the workspace; each part is checked first, so it may be repeated. */
    void teardown(WorkspaceRecord ws) {
        removeElements(ws);
        // The link first: deleting it removes both ends at once, while a deleted namespace
        // releases its links later, in the background. Both in one process; each line stands alone.
        String host = ownHostInterface(ws);
        String ns = names.namespace(ws.id());
        CommandBatch removal = ip.batch(null);
        if (ip.hostLinkExists(host)) {
            removal.add("link", "delete", "dev", host);
        }
        if (ip.namespaceExists(ns)) {
            removal.add("netns", "delete", ns);
        }
        if (removal.isEmpty()) {
            return;
        }
        CommandResult result = removal.runAll();
        // A link that vanished meanwhile (its namespace went first) counts as deleted: judge by what is left.
        if (ip.hostLinkExists(host) || ip.namespaceExists(ns)) {
            throw removal.failure(result);
        }
    }

    /**
     * One transaction deletes the three elements; it fails whole if one is missing (a half-made
     * workspace), and only then is the table listed to delete what is there. Listing costs time in
     * proportion to the workspaces on the host, so the common case never lists.
     */
    private void removeElements(WorkspaceRecord ws) {
        Map<String, List<String>> wanted = ruleset.workspaceElements(List.of(ws));
        if (nft.tryApply(ruleset.deleteScript(wanted)).ok()) {
            return;
        }
        nft.setElements(Ruleset.FAMILY, config.tableName()).ifPresent(actual -> {
            Map<String, List<String>> present = new LinkedHashMap<>();
            wanted.forEach((set, elements) -> present.put(set, new ArrayList<>(
                    elements.stream().filter(e -> actual.getOrDefault(set, List.of()).contains(e)).toList())));
            String script = ruleset.deleteScript(present);
            if (!script.isEmpty()) {
                nft.apply(script);
            }
        });
    }

    /** The second wall behind the start-up check: a link the agent did not name is never touched. */
    private String ownHostInterface(WorkspaceRecord ws) {
        if (!names.hostInterfaceCandidates(ws.id()).contains(ws.hostInterface())) {
            throw new IllegalStateException("workspace " + ws.id() + ": hostInterface '" + ws.hostInterface()
                    + "' is not a name this agent derives from the id (expected: one of "
                    + names.hostInterfaceCandidates(ws.id()) + ")");
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

    private String expectedEgress(WorkspaceRecord ws) {
        return shaper.expected(effectiveEgress(ws), Exemption.to(gateways(config.addressPlan().slot(ws.slot()))));
    }

    private String expectedIngress(WorkspaceRecord ws) {
        return shaper.expected(effectiveIngress(ws), Exemption.from(gateways(config.addressPlan().slot(ws.slot()))));
    }

    /** What {@link #ensure} has just made, each part confirmed by its command's exit code, so not read back. */
    ActualWorkspace programmed(WorkspaceRecord ws) {
        String egress = expectedEgress(ws);
        String ingress = expectedIngress(ws);
        return new ActualWorkspace(true, true, true, true, true, true, true, List.of(), egress, egress, ingress, ingress);
    }

    /**
     * The host end's sysctls: forwarding for packets that arrive from this link only (see
     * globalForwarding), strict reverse-path filtering, no IPv6.
     */
    private static Map<String, String> hostSysctls(String link) {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("net.ipv4.conf." + link + ".forwarding", "1");
        values.put("net.ipv4.conf." + link + ".rp_filter", "1");
        values.put("net.ipv6.conf." + link + ".disable_ipv6", "1");
        return values;
    }

    /** What a workspace recorded but not yet built or looked at has: nothing yet. */
    ActualWorkspace notYetBuilt(WorkspaceRecord ws) {
        return new ActualWorkspace(false, false, false, false, false, false, false, List.of(), "", expectedEgress(ws), "",
                expectedIngress(ws));
    }

    ActualWorkspace observe(WorkspaceRecord ws, Map<String, List<String>> nftSets) {
        String ns = names.namespace(ws.id());
        AddressPlan.Slot slot = config.addressPlan().slot(ws.slot());
        String prefix = "/" + slot.network().prefixLength();
        boolean namespace = ip.namespaceExists(ns);
        boolean hostLink = ip.hostLinkExists(ws.hostInterface());
        Optional<IpRoute.DeviceState> inside = namespace ? ip.deviceState(ns, WORKSPACE_DEVICE) : Optional.empty();
        boolean workspaceLink = inside.isPresent();
        boolean hostAddress = hostLink && ip.hostIpv4Addresses(ws.hostInterface()).contains(slot.host() + prefix);
        boolean workspaceAddress = inside.map(d -> d.addresses().contains(slot.workspace() + prefix)).orElse(false);
        boolean route = inside.map(d -> d.defaultGateways().contains(slot.host().toString())).orElse(false);
        boolean elements = ruleset.workspaceElements(List.of(ws)).entrySet().stream()
                .allMatch(e -> nftSets.getOrDefault(e.getKey(), List.of()).containsAll(e.getValue()));
        String egress = workspaceLink ? shaper.current(ns, WORKSPACE_DEVICE).orElse("") : "";
        String ingress = hostLink ? shaper.current(null, ws.hostInterface()).orElse("") : "";
        List<String> sysctlsWrong = new ArrayList<>();
        if (hostLink) {
            // Files of the host namespace: read without a process.
            hostSysctls(ws.hostInterface()).forEach((key, expected) -> ip.readHostSysctl(key)
                    .filter(actual -> !actual.equals(expected))
                    .ifPresent(actual -> sysctlsWrong.add(key + "=" + actual + " (expected: " + expected + ")")));
        }
        return new ActualWorkspace(namespace, hostLink, workspaceLink, hostAddress, workspaceAddress, route, elements,
                sysctlsWrong, egress, expectedEgress(ws), ingress, expectedIngress(ws));
    }

    int effectiveEgress(WorkspaceRecord ws) {
        return ws.egressMbit() > 0 ? ws.egressMbit() : config.defaultEgressMbit();
    }

    int effectiveIngress(WorkspaceRecord ws) {
        return ws.ingressMbit() > 0 ? ws.ingressMbit() : config.defaultIngressMbit();
    }
}
