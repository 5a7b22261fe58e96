package dev.portcullis.agent.lifecycle;

import static dev.portcullis.agent.lifecycle.KernelNames.WORKSPACE_DEVICE;
import static java.util.Objects.requireNonNull;

import dev.portcullis.agent.address.AddressPlan;
import dev.portcullis.agent.config.AgentConfig;
import dev.portcullis.agent.kernel.IpRoute;
import dev.portcullis.agent.kernel.Nft;
import dev.portcullis.agent.nftables.Ruleset;
import dev.portcullis.agent.shaping.EgressShaper;
import dev.portcullis.agent.workspace.WorkspaceRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The kernel side of one workspace. {@link #ensure} brings every part to the desired state and is
 * safe to repeat after a failure at any point; {@link #teardown} removes every part that exists.
 */
final class WorkspacePlumbing {

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

    void ensure(WorkspaceRecord ws, StepListener listener) {
        String ns = names.namespace(ws.id());
        String host = ws.hostInterface();
        AddressPlan.Slot slot = config.addressPlan().slot(ws.slot());
        String prefix = "/" + slot.network().prefixLength();

        if (!ip.namespaceExists(ns)) {
            ip.addNamespace(ns);
        }
        listener.after(CreateStep.NAMESPACE_ADDED, ws.id());

        boolean hostEnd = ip.hostLinkExists(host);
        if (hostEnd && !ip.linkExistsIn(ns, WORKSPACE_DEVICE)) {
            ip.deleteHostLink(host); // its peer is not where it belongs: start the pair over
            hostEnd = false;
        }
        if (!hostEnd) {
            if (ip.linkExistsIn(ns, WORKSPACE_DEVICE)) {
                ip.deleteLinkIn(ns, WORKSPACE_DEVICE);
            }
            ip.addVethWithPeerIn(host, ns, WORKSPACE_DEVICE);
        }
        listener.after(CreateStep.VETH_ADDED, ws.id());

        ip.replaceAddress(null, host, slot.host() + prefix);
        ip.replaceAddress(ns, WORKSPACE_DEVICE, slot.workspace() + prefix);
        ip.setUp(null, host);
        ip.setUp(ns, "lo");
        ip.setUp(ns, WORKSPACE_DEVICE);
        ip.replaceDefaultRoute(ns, slot.host().toString(), WORKSPACE_DEVICE);
        listener.after(CreateStep.ADDRESSES_SET, ws.id());

        // Forwarding only for packets arriving from this workspace's link (see globalForwarding).
        ip.hostSysctl("net.ipv4.conf." + host + ".forwarding", "1");
        ip.hostSysctl("net.ipv4.conf." + host + ".rp_filter", "1");
        ip.hostSysctl("net.ipv6.conf." + host + ".disable_ipv6", "1");
        ip.namespaceSysctl(ns, "net.ipv6.conf.all.disable_ipv6", "1");
        ip.namespaceSysctl(ns, "net.ipv4.conf.all.rp_filter", "1");
        listener.after(CreateStep.SYSCTLS_SET, ws.id());

        nft.apply(ruleset.addScript(ruleset.workspaceElements(List.of(ws))));
        listener.after(CreateStep.NFTABLES_ELEMENTS_ADDED, ws.id());

        shaper.apply(ns, WORKSPACE_DEVICE, effectiveEgress(ws));
        listener.after(CreateStep.EGRESS_SHAPED, ws.id());
    }

    /** Removes whatever exists of the workspace; each part is checked first, so it may be repeated. */
    void teardown(WorkspaceRecord ws) {
        Map<String, List<String>> wanted = ruleset.workspaceElements(List.of(ws));
        nft.setElements(Ruleset.FAMILY, config.tableName()).ifPresent(actual -> {
            Map<String, List<String>> present = new LinkedHashMap<>();
            wanted.forEach((set, elements) -> present.put(set, new ArrayList<>(
                    elements.stream().filter(e -> actual.getOrDefault(set, List.of()).contains(e)).toList())));
            String script = ruleset.deleteScript(present);
            if (!script.isEmpty()) {
                nft.apply(script);
            }
        });
        // The link first: deleting it removes both ends at once, while a deleted namespace
        // releases its links later, in the background.
        if (ip.hostLinkExists(ws.hostInterface())) {
            ip.deleteHostLink(ws.hostInterface());
        }
        String ns = names.namespace(ws.id());
        if (ip.namespaceExists(ns)) {
            ip.deleteNamespace(ns);
        }
    }

    ActualWorkspace observe(WorkspaceRecord ws, Map<String, List<String>> nftSets) {
        String ns = names.namespace(ws.id());
        AddressPlan.Slot slot = config.addressPlan().slot(ws.slot());
        String prefix = "/" + slot.network().prefixLength();
        boolean namespace = ip.namespaceExists(ns);
        boolean hostLink = ip.hostLinkExists(ws.hostInterface());
        boolean workspaceLink = namespace && ip.linkExistsIn(ns, WORKSPACE_DEVICE);
        boolean hostAddress = hostLink && ip.ipv4Addresses(null, ws.hostInterface()).contains(slot.host() + prefix);
        boolean workspaceAddress = workspaceLink
                && ip.ipv4Addresses(ns, WORKSPACE_DEVICE).contains(slot.workspace() + prefix);
        boolean route = workspaceLink && ip.hasDefaultRoute(ns, slot.host().toString());
        boolean elements = ruleset.workspaceElements(List.of(ws)).entrySet().stream()
                .allMatch(e -> nftSets.getOrDefault(e.getKey(), List.of()).containsAll(e.getValue()));
        String egress = workspaceLink ? shaper.current(ns, WORKSPACE_DEVICE).orElse("") : "";
        return new ActualWorkspace(namespace, hostLink, workspaceLink, hostAddress, workspaceAddress, route, elements,
                egress, shaper.expected(effectiveEgress(ws)));
    }

    int effectiveEgress(WorkspaceRecord ws) {
        return ws.egressMbit() > 0 ? ws.egressMbit() : config.defaultEgressMbit();
    }
}
