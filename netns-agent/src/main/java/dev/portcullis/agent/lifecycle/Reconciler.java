package dev.portcullis.agent.lifecycle;

import static java.util.Objects.requireNonNull;

import dev.portcullis.agent.config.AgentConfig;
import dev.portcullis.agent.kernel.IpRoute;
import dev.portcullis.agent.kernel.Nft;
import dev.portcullis.agent.kernel.netlink.NetlinkException;
import dev.portcullis.agent.kernel.netlink.NfTables;
import dev.portcullis.agent.nftables.Ruleset;
import dev.portcullis.agent.route.Route;
import dev.portcullis.agent.route.RouteSink;
import dev.portcullis.agent.state.DesiredState;
import dev.portcullis.agent.workspace.WorkspaceRecord;
import dev.portcullis.policy.WorkspaceId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compares the desired state with what the kernel has and converges: finishes interrupted deletes,
 * repairs every workspace that differs, and removes orphans — but only objects with this agent's
 * exact names (namespaces of its prefix and a valid id, links of its prefix and a slot or ten hex
 * digits that no spare holds, elements of its own table). Nothing else on the host is touched.
 *
 * <p>Looking costs netlink dumps per workspace (no process), and runs without any lock; each repair takes only its
 * workspace's lock and looks again first, and orphans are confirmed against the desired state under
 * the state lock before they are deleted (a create records its workspace before it makes anything,
 * so whatever the look saw that is not recorded then is really an orphan).
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
    private final AgentState state;
    private final SpareNamespaces spares;
    /** Looks at the kernel at once in a pass: more than the cores, since a look mostly waits for the kernel's answers. */
    private static final int LOOKERS = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
    /** One pass at a time (the periodic one and one asked for through the API). */
    private final ReentrantLock passes = new ReentrantLock();
    private volatile String expectedStructure = "";
    private volatile boolean tablePresent;

    Reconciler(AgentConfig config, KernelNames names, IpRoute ip, Nft nft, Ruleset ruleset, WorkspacePlumbing plumbing,
            RouteSink routes, AgentState state, SpareNamespaces spares) {
        this.config = requireNonNull(config, "config");
        this.names = requireNonNull(names, "names");
        this.ip = requireNonNull(ip, "ip");
        this.nft = requireNonNull(nft, "nft");
        this.ruleset = requireNonNull(ruleset, "ruleset");
        this.plumbing = requireNonNull(plumbing, "plumbing");
        this.routes = requireNonNull(routes, "routes");
        this.state = requireNonNull(state, "state");
        this.spares = requireNonNull(spares, "spares");
    }

    /**
     * Loads the whole table with every live workspace in one transaction, and remembers its shape.
     * Under the state lock, so no create or delete changes the desired state between the listing of
     * elements and the commit.
     */
    void loadTable() {
        state.exclusive(() -> {
            nft.apply(ruleset.tableScript(state.desired().live()));
            expectedStructure = structure().orElseThrow(
                    () -> new IllegalStateException("table inet " + config.tableName() + " is missing right after loading it"));
            tablePresent = true;
            return null;
        });
    }

    /** Whether the table was there when the agent last looked (status answers from memory). */
    boolean tablePresent() {
        return tablePresent;
    }

    private Optional<String> structure() {
        return nft.structure(Ruleset.FAMILY, config.tableName(), Set.copyOf(Ruleset.WORKSPACE_SETS));
    }

    static Route routeOf(AgentConfig config, WorkspaceRecord ws) {
        return new Route(ws.id().value(), config.addressPlan().slot(ws.slot()).workspace().toString(), config.hostName(),
                ws.owner(), ws.org());
    }

    /**
     * The second half of a delete, whose intent is already recorded: route, kernel, record, in that
     * order. Called under the workspace's lock by delete, and by a pass for an interrupted delete.
     */
    void finishDelete(WorkspaceId id) {
        WorkspaceRecord ws = state.desired().get(id).orElseThrow(
                () -> new IllegalStateException("workspace " + id + " has no record to finish deleting"));
        routes.withdraw(id.value());
        plumbing.teardown(ws);
        state.update(current -> current.without(id)); // last: until the kernel is clean the address stays reserved
        state.forget(id);
    }

    /** One whole pass. */
    Report pass() {
        passes.lock();
        try {
            List<String> actions = new ArrayList<>();
            // One listing for the table's shape and its elements (one nft process, not two).
            Optional<Nft.Listing> listing = nft.listing(Ruleset.FAMILY, config.tableName(),
                    Set.copyOf(Ruleset.WORKSPACE_SETS));
            boolean reloaded = reloadTableIfChanged(listing.map(Nft.Listing::structure), actions);
            finishInterruptedDeletes(actions);
            repairDrifted(reloaded ? nft.setElements(Ruleset.FAMILY, config.tableName()).orElse(Map.of())
                    : listing.map(Nft.Listing::sets).orElse(Map.of()), actions);
            removeOrphanKernelObjects(actions);
            removeOrphanElements(actions);
            syncRoutes(actions);
            DesiredState now = state.desired();
            state.forgetAllBut(now.workspaces().stream().map(WorkspaceRecord::id).collect(Collectors.toSet()));
            actions.forEach(action -> log.warn("reconcile: {}", action));
            return new Report(actions);
        } finally {
            passes.unlock();
        }
    }

    /** True when the table was reloaded (the listing's elements are then out of date). */
    private boolean reloadTableIfChanged(Optional<String> shape, List<String> actions) {
        tablePresent = shape.isPresent();
        if (shape.isEmpty() || !shape.get().equals(expectedStructure)) {
            // Someone deleted the table or edited its rules: replace it, atomically, with ours.
            loadTable();
            actions.add("table inet " + config.tableName() + (shape.isEmpty() ? " was missing" : " had been changed")
                    + ": reloaded");
            return true;
        }
        return false;
    }

    private void finishInterruptedDeletes(List<String> actions) {
        for (WorkspaceId id : state.desired().deleting()) {
            state.forWorkspace(id, () -> {
                if (!state.desired().isDeleting(id)) {
                    return null; // a delete finished it meanwhile
                }
                try {
                    finishDelete(id);
                    actions.add("finished the interrupted delete of " + id);
                } catch (RuntimeException e) {
                    actions.add("could not finish the delete of " + id + ": " + e.getMessage());
                }
                return null;
            });
        }
    }

    /**
     * Looks at every live workspace without a lock, then repairs the ones that differ, one lock each.
     * {@code sets} may be older than the desired state read here: a workspace made in between looks
     * drifted, and its second look under its lock (with a fresh listing) finds it whole.
     */
    private void repairDrifted(Map<String, List<String>> sets, List<String> actions) {
        DesiredState looked = state.desired();
        List<WorkspaceRecord> live = List.copyOf(looked.live());
        List<ActualWorkspace> seen = lookAtAll(live, sets);
        List<WorkspaceRecord> suspects = new ArrayList<>();
        for (int i = 0; i < live.size(); i++) {
            WorkspaceRecord ws = live.get(i);
            ActualWorkspace actual = seen.get(i);
            if (actual.inSync()) {
                state.observed(ws.id(), actual);
            } else {
                suspects.add(ws);
            }
        }
        for (WorkspaceRecord ws : suspects) {
            state.forWorkspace(ws.id(), () -> {
                DesiredState now = state.desired();
                if (!now.get(ws.id()).equals(Optional.of(ws)) || now.isDeleting(ws.id())) {
                    return null; // deleted or made anew since the look: that write left it whole
                }
                Map<String, List<String>> fresh = nft.setElements(Ruleset.FAMILY, config.tableName()).orElse(Map.of());
                ActualWorkspace actual = plumbing.observe(ws, fresh);
                if (actual.inSync()) {
                    state.observed(ws.id(), actual);
                    return null;
                }
                try {
                    plumbing.ensure(ws, StepListener.NONE);
                    state.observed(ws.id(), plumbing.programmed(ws));
                    actions.add("repaired " + ws.id() + ": " + String.join(", ", actual.problems()));
                } catch (RuntimeException e) {
                    state.observed(ws.id(), actual);
                    actions.add("could not repair " + ws.id() + ": " + e.getMessage());
                }
                return null;
            });
        }
    }

    /**
     * One look per workspace, {@link #LOOKERS} at a time, all against one {@link HostView} (three
     * dumps of the host namespace for the whole pass): a look is a thread entering the workspace's
     * namespace to open a netlink socket there, a few dumps through it, and the host end's tc dumps.
     * No process. Reads only: nothing here takes a lock or changes the kernel.
     */
    private List<ActualWorkspace> lookAtAll(List<WorkspaceRecord> live, Map<String, List<String>> sets) {
        try (HostView hostView = HostView.read()) {
            if (live.size() < 2) {
                return live.stream().map(ws -> plumbing.observe(ws, sets, hostView)).toList();
            }
            ExecutorService lookers = Executors.newFixedThreadPool(Math.min(LOOKERS, live.size()), r -> {
                Thread thread = new Thread(r, "reconcile-look");
                thread.setDaemon(true);
                return thread;
            });
            try {
                List<Future<ActualWorkspace>> looks = live.stream()
                        .map(ws -> lookers.submit(() -> plumbing.observe(ws, sets, hostView))).toList();
                List<ActualWorkspace> seen = new ArrayList<>(looks.size());
                for (Future<ActualWorkspace> look : looks) {
                    seen.add(look.get());
                }
                return seen;
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException runtime ? runtime
                        : new IllegalStateException("a reconcile look failed: " + e.getCause(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while looking at the workspaces", e);
            } finally {
                lookers.shutdownNow();
            }
        }
    }

    private void removeOrphanKernelObjects(List<String> actions) {
        List<String> links = ip.hostVethLinks().stream().filter(names::isOwnInterface).toList();
        List<String> namespaces = ip.namespaces();
        state.exclusive(() -> {
            DesiredState desired = state.desired(); // read after the listing: see the class comment
            Set<String> wantedLinks = desired.usedHostInterfaces();
            Set<String> wantedNamespaces = desired.workspaces().stream()
                    .map(ws -> names.namespace(ws.id())).collect(Collectors.toSet());
            for (String link : links) {
                // A spare's link has its slot's name ahead of any record: it is the pool's while the slot is reserved.
                if (!wantedLinks.contains(link) && !spares.holdsLink(link) && ip.hostLinkExists(link)) {
                    ip.deleteHostLink(link);
                    actions.add("deleted orphan link " + link);
                }
            }
            for (String ns : namespaces) {
                if (names.isStaleProbe(ns)) {
                    ip.deleteNamespace(ns);
                    actions.add("deleted stale probe namespace " + ns);
                } else if (names.isSpare(ns) && !spares.holds(ns) && ip.namespaceExists(ns)) {
                    // Left by an agent before this one (killed, maybe while naming it: then the
                    // workspace's own name keeps the namespace). Its veth pair went above, as an orphan link.
                    ip.deleteNamespace(ns);
                    actions.add("deleted stale spare namespace " + ns);
                } else if (names.workspaceOfNamespace(ns).isPresent() && !wantedNamespaces.contains(ns)
                        && ip.namespaceExists(ns)) {
                    ip.deleteNamespace(ns);
                    actions.add("deleted orphan namespace " + ns);
                }
            }
            return null;
        });
    }

    private void removeOrphanElements(List<String> actions) {
        Map<String, List<String>> actual = nft.setElements(Ruleset.FAMILY, config.tableName()).orElse(Map.of());
        state.exclusive(() -> {
            Map<String, List<String>> wanted = ruleset.workspaceElements(state.desired().workspaces());
            Map<String, List<String>> extra = new LinkedHashMap<>();
            for (String set : Ruleset.WORKSPACE_SETS) {
                List<String> orphans = actual.getOrDefault(set, List.of()).stream()
                        .filter(e -> !wanted.get(set).contains(e)).toList();
                if (!orphans.isEmpty()) {
                    extra.put(set, orphans);
                }
            }
            if (!extra.isEmpty()) {
                // One nf_tables transaction over netlink for all of them (no nft process); it changes
                // nothing if one vanished meanwhile (the next pass sees what is left).
                boolean deleted = deleteElements(extra);
                extra.forEach((set, orphans) -> actions.add((deleted ? "deleted" : "could not delete")
                        + " orphan elements of " + set + ": " + orphans));
            }
            return null;
        });
    }

    private boolean deleteElements(Map<String, List<String>> elements) {
        try {
            NfTables.delete(Ruleset.FAMILY, config.tableName(), Ruleset.kernelElements(elements));
            return true;
        } catch (NetlinkException e) {
            log.warn("could not delete orphan elements of table inet {}: {}", config.tableName(), e.getMessage());
            return false;
        }
    }

    /**
     * Each workspace's route under its own lock: a create holds that lock until it has published, so a
     * pass never publishes the route of a workspace whose network is still being built.
     */
    private void syncRoutes(List<String> actions) {
        Map<String, Route> published = routes.published();
        DesiredState looked = state.desired();
        Set<String> wanted = looked.live().stream().map(ws -> ws.id().value()).collect(Collectors.toSet());
        for (String id : published.keySet()) {
            if (!wanted.contains(id)) {
                Optional<WorkspaceId> workspace = validId(id);
                Runnable withdraw = () -> {
                    if (workspace.map(w -> state.desired().live().stream().noneMatch(ws -> ws.id().equals(w))).orElse(true)) {
                        routes.withdraw(id);
                        actions.add("withdrew orphan route " + id);
                    }
                };
                if (workspace.isPresent()) {
                    state.forWorkspace(workspace.get(), () -> {
                        withdraw.run();
                        return null;
                    });
                } else {
                    withdraw.run();
                }
            }
        }
        for (WorkspaceRecord ws : looked.live()) {
            if (routeOf(config, ws).equals(published.get(ws.id().value()))) {
                continue;
            }
            state.forWorkspace(ws.id(), () -> {
                DesiredState now = state.desired();
                boolean stillWanted = now.get(ws.id()).equals(Optional.of(ws)) && !now.isDeleting(ws.id());
                if (stillWanted && !routeOf(config, ws).equals(routes.published().get(ws.id().value()))) {
                    routes.publish(routeOf(config, ws));
                    actions.add("published route " + ws.id());
                }
                return null;
            });
        }
    }

    private static Optional<WorkspaceId> validId(String id) {
        try {
            return Optional.of(WorkspaceId.of(id));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
