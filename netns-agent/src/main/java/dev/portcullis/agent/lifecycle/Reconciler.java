package dev.portcullis.agent.lifecycle;

import static java.util.Objects.requireNonNull;

import dev.portcullis.agent.config.AgentConfig;
import dev.portcullis.agent.kernel.IpRoute;
import dev.portcullis.agent.kernel.Nft;
import dev.portcullis.agent.nftables.Ruleset;
import dev.portcullis.agent.route.Route;
import dev.portcullis.agent.route.RouteSink;
import dev.portcullis.agent.state.DesiredState;
import dev.portcullis.agent.workspace.WorkspaceRecord;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compares the desired state with what the kernel has and converges: repairs every workspace that
 * differs, and removes orphans — but only objects that carry this agent's prefixes (namespaces,
 * veth names of prefix + hash, elements of its own table). Nothing else on the host is touched.
 */
public final class Reconciler {

    private static final Logger log = LoggerFactory.getLogger(Reconciler.class);

    /** What one pass did, in words; empty when everything was in sync. */
    public record Report(List<String> actions) {
        public Report {
            actions = List.copyOf(actions);
        }
    }

    private final AgentConfig config;
    private final KernelNames names;
    private final IpRoute ip;
    private final Nft nft;
    private final Ruleset ruleset;
    private final WorkspacePlumbing plumbing;
    private final RouteSink routes;
    private String expectedStructure = "";

    Reconciler(AgentConfig config, KernelNames names, IpRoute ip, Nft nft, Ruleset ruleset, WorkspacePlumbing plumbing,
            RouteSink routes) {
        this.config = requireNonNull(config, "config");
        this.names = requireNonNull(names, "names");
        this.ip = requireNonNull(ip, "ip");
        this.nft = requireNonNull(nft, "nft");
        this.ruleset = requireNonNull(ruleset, "ruleset");
        this.plumbing = requireNonNull(plumbing, "plumbing");
        this.routes = requireNonNull(routes, "routes");
    }

    /** Loads the whole table with every desired workspace in one transaction, and remembers its shape. */
    void loadTable(DesiredState desired) {
        nft.apply(ruleset.tableScript(desired.workspaces()));
        expectedStructure = structure().orElseThrow(
                () -> new IllegalStateException("table inet " + config.tableName() + " is missing right after loading it"));
    }

    private Optional<String> structure() {
        return nft.structure(Ruleset.FAMILY, config.tableName(), Set.copyOf(Ruleset.WORKSPACE_SETS));
    }

    static Route routeOf(AgentConfig config, WorkspaceRecord ws) {
        return new Route(ws.id().value(), config.addressPlan().slot(ws.slot()).workspace().toString(), config.hostName(),
                ws.owner(), ws.org());
    }

    /**
     * The desired workspaces whose kernel side differs from their record. The slow part of a pass
     * (processes per workspace: about 15 s at 1000 workspaces), so the agent runs it without its lock.
     */
    Set<WorkspaceRecord> outOfSync(DesiredState desired) {
        Map<String, List<String>> sets = nft.setElements(Ruleset.FAMILY, config.tableName()).orElse(Map.of());
        Set<WorkspaceRecord> found = new HashSet<>();
        for (WorkspaceRecord ws : desired.workspaces()) {
            if (!plumbing.observe(ws, sets).inSync()) {
                found.add(ws);
            }
        }
        return found;
    }

    /** A whole pass, every workspace looked at under the caller's lock (at start). */
    Report reconcile(DesiredState desired) {
        return reconcile(desired, outOfSync(desired));
    }

    /**
     * Converges, under the agent's lock: the table, the {@code suspects} that are still desired as
     * they were (looked at again, since a create or delete may have run since), orphans and routes.
     * A workspace created since {@code suspects} were found is not among them: create left it whole.
     */
    Report reconcile(DesiredState desired, Set<WorkspaceRecord> suspects) {
        List<String> actions = new ArrayList<>();
        Optional<String> shape = structure();
        if (shape.isEmpty() || !shape.get().equals(expectedStructure)) {
            // Someone deleted the table or edited its rules: replace it, atomically, with ours.
            loadTable(desired);
            actions.add("table inet " + config.tableName() + (shape.isEmpty() ? " was missing" : " had been changed")
                    + ": reloaded");
        }
        Map<String, List<String>> sets = nft.setElements(Ruleset.FAMILY, config.tableName()).orElse(Map.of());

        for (WorkspaceRecord ws : desired.workspaces()) {
            if (!suspects.contains(ws)) {
                continue;
            }
            ActualWorkspace actual = plumbing.observe(ws, sets);
            if (actual.inSync()) {
                continue;
            }
            try {
                plumbing.ensure(ws, StepListener.NONE);
                actions.add("repaired " + ws.id() + ": " + String.join(", ", actual.problems()));
            } catch (RuntimeException e) {
                actions.add("could not repair " + ws.id() + ": " + e.getMessage());
            }
        }

        removeOrphanKernelObjects(desired, actions);
        removeOrphanElements(desired, actions);
        syncRoutes(desired, actions);
        actions.forEach(action -> log.warn("reconcile: {}", action));
        return new Report(actions);
    }

    private void removeOrphanKernelObjects(DesiredState desired, List<String> actions) {
        Set<String> wantedNamespaces = desired.workspaces().stream()
                .map(ws -> names.namespace(ws.id())).collect(Collectors.toSet());
        Set<String> wantedLinks = desired.usedHostInterfaces();
        for (String link : ip.hostVethLinks()) {
            if (names.isOwnInterface(link) && !wantedLinks.contains(link) && ip.hostLinkExists(link)) {
                ip.deleteHostLink(link);
                actions.add("deleted orphan link " + link);
            }
        }
        for (String ns : ip.namespaces()) {
            if (names.isStaleProbe(ns)) {
                ip.deleteNamespace(ns);
                actions.add("deleted stale probe namespace " + ns);
            } else if (names.workspaceOfNamespace(ns).isPresent() && !wantedNamespaces.contains(ns)) {
                ip.deleteNamespace(ns);
                actions.add("deleted orphan namespace " + ns);
            }
        }
    }

    private void removeOrphanElements(DesiredState desired, List<String> actions) {
        Map<String, List<String>> actual = nft.setElements(Ruleset.FAMILY, config.tableName()).orElse(Map.of());
        Map<String, List<String>> wanted = ruleset.workspaceElements(desired.workspaces());
        Map<String, List<String>> extra = new LinkedHashMap<>();
        for (String set : Ruleset.WORKSPACE_SETS) {
            List<String> orphans = actual.getOrDefault(set, List.of()).stream()
                    .filter(e -> !wanted.get(set).contains(e)).toList();
            if (!orphans.isEmpty()) {
                extra.put(set, orphans);
                actions.add("deleted orphan elements of " + set + ": " + orphans);
            }
        }
        if (!extra.isEmpty()) {
            nft.apply(ruleset.deleteScript(extra)); // one transaction for all of them
        }
    }

    private void syncRoutes(DesiredState desired, List<String> actions) {
        Map<String, Route> published = routes.published();
        Set<String> wanted = desired.workspaces().stream().map(ws -> ws.id().value()).collect(Collectors.toSet());
        for (String id : published.keySet()) {
            if (!wanted.contains(id)) {
                routes.withdraw(id);
                actions.add("withdrew orphan route " + id);
            }
        }
        for (WorkspaceRecord ws : desired.workspaces()) {
            Route route = routeOf(config, ws);
            if (!route.equals(published.get(ws.id().value()))) {
                routes.publish(route);
                actions.add("published route " + ws.id());
            }
        }
    }
}
