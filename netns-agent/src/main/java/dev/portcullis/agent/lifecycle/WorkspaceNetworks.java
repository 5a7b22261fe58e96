package dev.portcullis.agent.lifecycle;

import static java.util.Objects.requireNonNull;

import dev.portcullis.agent.address.AddressPlan;
import dev.portcullis.agent.config.AgentConfig;
import dev.portcullis.agent.kernel.CommandRunner;
import dev.portcullis.agent.kernel.IpRoute;
import dev.portcullis.agent.kernel.Nft;
import dev.portcullis.agent.nftables.Ruleset;
import dev.portcullis.agent.ownership.PrefixRegistry;
import dev.portcullis.agent.route.Route;
import dev.portcullis.agent.route.RouteSink;
import dev.portcullis.agent.shaping.EgressShaper;
import dev.portcullis.agent.shaping.ShapingMode;
import dev.portcullis.agent.state.DesiredState;
import dev.portcullis.agent.state.DesiredStateStore;
import dev.portcullis.policy.WorkspaceId;
import dev.portcullis.agent.workspace.WorkspaceRecord;
import dev.portcullis.agent.workspace.WorkspaceSpec;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host agent's core: create, delete, get and list workspace networks, and reconcile. One lock
 * serialises every change, so the desired state, the address plan and the kernel move together
 * (a periodic reconcile looks at the kernel without it and takes it only to repair).
 * The desired state is saved before the kernel is touched (write-ahead): a crash at any point
 * leaves a record that reconcile completes, and an address that nobody else can be given.
 */
public final class WorkspaceNetworks implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WorkspaceNetworks.class);

    private final AgentConfig config;
    private final DesiredStateStore store;
    private final RouteSink routes;
    private final StepListener listener;
    private final KernelNames names;
    private final Nft nft;
    private final Ruleset ruleset;
    private final EgressShaper shaper;
    private final WorkspacePlumbing plumbing;
    private final Reconciler reconciler;
    private final IpRoute ip;
    private final Clock clock;
    private final PrefixRegistry registration;
    private DesiredState desired;
    private String lastReconcile = "never";

    public WorkspaceNetworks(AgentConfig config, CommandRunner commands, RouteSink routes, StepListener listener,
            Clock clock) {
        this.config = requireNonNull(config, "config");
        this.routes = requireNonNull(routes, "routes");
        this.listener = requireNonNull(listener, "listener");
        this.clock = requireNonNull(clock, "clock");
        this.store = new DesiredStateStore(config.stateDir(), config.addressPlan());
        this.names = new KernelNames(config);
        this.ip = new IpRoute(commands);
        this.nft = new Nft(commands);
        this.ruleset = new Ruleset(config);
        // Everything that can refuse the start comes before the first change to the host.
        DesiredState loaded = store.load();
        checkOwnNames(loaded);
        this.registration = PrefixRegistry.register(config);
        try {
            checkStateFileNotLost();
            ShapingMode mode = EgressShaper.probe(commands, names.probeNamespace());
            log.info("egress shaping: {} (probed tc qdiscs at start)", mode);
            this.shaper = new EgressShaper(commands, mode);
        } catch (RuntimeException e) {
            registration.close();
            throw e;
        }
        this.plumbing = new WorkspacePlumbing(config, names, ip, nft, ruleset, shaper);
        this.reconciler = new Reconciler(config, names, ip, nft, ruleset, plumbing, routes);
        this.desired = loaded;
    }

    /**
     * Every kernel name comes from the id and the agent's prefixes; the file only confirms which of a
     * workspace's few possible link names it got. A record that names anything else (the host's uplink,
     * another agent's link) would make the agent address, forward on and delete a link it does not own.
     */
    private void checkOwnNames(DesiredState loaded) {
        for (WorkspaceRecord ws : loaded.workspaces()) {
            List<String> candidates = names.hostInterfaceCandidates(ws.id());
            if (!candidates.contains(ws.hostInterface())) {
                throw new IllegalStateException(store.file() + ": workspace " + ws.id() + " has hostInterface '"
                        + ws.hostInterface() + "', which this agent never derives from that id (expected: one of "
                        + candidates + "); the file is damaged or was edited: refusing to start, nothing on the host"
                        + " was changed");
            }
        }
    }

    /**
     * A missing state file reads like "no workspaces", and the start-up reconcile would then delete every
     * workspace network as an orphan. On a host that has the agent's objects, that is a lost file, not an
     * empty host: only the operator may say otherwise ({@link AgentConfig#acceptMissingState}).
     */
    private void checkStateFileNotLost() {
        if (store.exists()) {
            return;
        }
        List<String> found = new ArrayList<>();
        ip.namespaces().stream().filter(ns -> names.workspaceOfNamespace(ns).isPresent()).map(ns -> "namespace " + ns)
                .forEach(found::add);
        ip.hostVethLinks().stream().filter(names::isOwnInterface).map(link -> "link " + link).forEach(found::add);
        nft.setElements(Ruleset.FAMILY, config.tableName()).ifPresent(sets -> Ruleset.WORKSPACE_SETS.stream()
                .filter(set -> !sets.getOrDefault(set, List.of()).isEmpty())
                .map(set -> "elements of set " + set + " in table inet " + config.tableName()).forEach(found::add));
        if (!found.isEmpty() && !config.acceptMissingState()) {
            throw new IllegalStateException(store.file() + " is missing, but this host has the agent's workspace networks ("
                    + String.join(", ", found.subList(0, Math.min(5, found.size())))
                    + (found.size() > 5 ? " and " + (found.size() - 5) + " more" : "")
                    + "): refusing to start, nothing was changed (expected: the file restored, or"
                    + " `portcullis agent run --accept-missing-state` to delete these networks)");
        }
        if (!found.isEmpty()) {
            log.warn("{} is missing and the operator accepted that: the start-up reconcile deletes {}", store.file(), found);
        }
        store.save(DesiredState.EMPTY); // from now on a missing file always means a lost one
    }

    /** Loads the table with every desired workspace in one transaction, then converges the rest. */
    public synchronized Reconciler.Report start() {
        if (config.globalForwarding()) {
            ip.hostSysctl("net.ipv4.ip_forward", "1");
        }
        reconciler.loadTable(desired);
        log.info("nftables table inet {} loaded with {} workspaces", config.tableName(), desired.workspaces().size());
        return recordPass(reconciler.reconcile(desired)); // nothing else runs before start is done
    }

    public synchronized WorkspaceStatus create(WorkspaceSpec spec) {
        requireNonNull(spec, "spec");
        Optional<WorkspaceRecord> existing = desired.get(spec.id());
        if (existing.isPresent()) {
            return repeatCreate(existing.get(), spec);
        }
        AddressPlan plan = config.addressPlan();
        int slot = spec.address().map(a -> requestedSlot(plan, a)).orElseGet(() -> freeSlot(plan));
        WorkspaceRecord ws = new WorkspaceRecord(spec.id(), spec.owner(), spec.org(), slot,
                names.hostInterface(spec.id(), desired.usedHostInterfaces()), spec.egressMbit(), clock.instant());
        save(desired.with(ws));
        listener.after(CreateStep.DESIRED_STATE_SAVED, ws.id());
        try {
            plumbing.ensure(ws, listener);
            routes.publish(route(ws));
            listener.after(CreateStep.ROUTE_PUBLISHED, ws.id());
        } catch (RuntimeException e) {
            // A failed create leaves nothing: undo what exists and give the address back.
            log.warn("create {} failed, rolling back: {}", ws.id(), e.getMessage());
            try {
                routes.withdraw(ws.id().value());
                plumbing.teardown(ws);
                save(desired.without(ws.id()));
            } catch (RuntimeException undo) {
                e.addSuppressed(undo); // reconcile finishes the job
            }
            throw e;
        }
        log.info("created {} at {} (owner {}, org {})", ws.id(), plan.slot(slot).workspace(), ws.owner(), ws.org());
        return programmedStatus(ws);
    }

    private WorkspaceStatus repeatCreate(WorkspaceRecord existing, WorkspaceSpec spec) {
        boolean same = existing.owner().equals(spec.owner()) && existing.org().equals(spec.org())
                && existing.egressMbit() == spec.egressMbit()
                && spec.address().map(a -> a.equals(config.addressPlan().slot(existing.slot()).workspace())).orElse(true);
        if (!same) {
            throw RequestException.conflict("workspace " + existing.id() + " exists with owner=" + existing.owner()
                    + " org=" + existing.org() + " address=" + config.addressPlan().slot(existing.slot()).workspace()
                    + " egressMbit=" + existing.egressMbit()
                    + " (expected: the same parameters to repeat a create, or a delete first)");
        }
        plumbing.ensure(existing, StepListener.NONE); // a retry after a timeout converges, changes nothing else
        routes.publish(route(existing));
        return programmedStatus(existing);
    }

    private int requestedSlot(AddressPlan plan, dev.portcullis.agent.address.Ipv4Address address) {
        int slot = plan.slotOfWorkspaceAddress(address);
        if (slot < 0) {
            throw RequestException.badRequest("address: " + address + " (expected: a workspace address in "
                    + plan.range() + ", the second address of a /" + plan.slotPrefixLength()
                    + (plan.slotPrefixLength() == 30 ? " after the network address" : "") + ", e.g. " + plan.slot(0).workspace() + ")");
        }
        if (desired.usedSlots().contains(slot)) {
            String owner = desired.workspaces().stream().filter(w -> w.slot() == slot).findFirst()
                    .map(w -> w.id().value()).orElse("?");
            throw RequestException.conflict("address: " + address + " is taken by workspace " + owner
                    + " (expected: a free address, or none to let the agent pick)");
        }
        return slot;
    }

    private int freeSlot(AddressPlan plan) {
        Set<Integer> used = desired.usedSlots();
        for (int slot = 0; slot < plan.slotCount(); slot++) {
            if (!used.contains(slot)) {
                return slot;
            }
        }
        throw RequestException.conflict("address range " + plan.range() + " is full: " + plan.slotCount()
                + " workspaces of /" + plan.slotPrefixLength() + " (expected: a delete first, or a larger addressRange)");
    }

    public synchronized void delete(WorkspaceId id) {
        WorkspaceRecord ws = desired.get(id).orElseThrow(() -> RequestException.notFound("workspace " + id + " does not exist"));
        routes.withdraw(id.value());
        plumbing.teardown(ws);
        save(desired.without(id)); // last: until the kernel is clean the address stays reserved
        log.info("deleted {}", id);
    }

    public synchronized boolean contains(WorkspaceId id) {
        return desired.get(id).isPresent();
    }

    public synchronized WorkspaceStatus get(WorkspaceId id) {
        WorkspaceRecord ws = desired.get(id).orElseThrow(() -> RequestException.notFound("workspace " + id + " does not exist"));
        return status(ws, currentSets());
    }

    public synchronized List<WorkspaceStatus> list() {
        Map<String, List<String>> sets = currentSets();
        return desired.workspaces().stream().map(ws -> status(ws, sets)).toList();
    }

    /**
     * One reconcile pass. Looking at every workspace costs processes per workspace, so that part
     * runs without the lock and creates and deletes go on meanwhile; only repairs take the lock.
     */
    public Reconciler.Report reconcile() {
        DesiredState looked;
        synchronized (this) {
            looked = desired;
        }
        Set<WorkspaceRecord> suspects = reconciler.outOfSync(looked);
        synchronized (this) {
            return recordPass(reconciler.reconcile(desired, suspects));
        }
    }

    private Reconciler.Report recordPass(Reconciler.Report report) {
        lastReconcile = clock.instant() + " " + (report.actions().isEmpty() ? "in sync" : report.actions().size() + " actions");
        return report;
    }

    public synchronized AgentStatus status() {
        int slots = config.addressPlan().slotCount();
        return new AgentStatus(config.hostName(), Ruleset.FAMILY + " " + config.tableName(),
                nft.tableExists(Ruleset.FAMILY, config.tableName()), config.addressPlan().range().toString(),
                config.addressPlan().slotPrefixLength(), desired.workspaces().size(), slots - desired.workspaces().size(),
                shaper.mode(), lastReconcile);
    }

    public synchronized String rules() {
        return nft.listTable(Ruleset.FAMILY, config.tableName());
    }

    /** Removes every workspace network and the table; the desired state ends empty. For tests and uninstall. */
    public synchronized void removeEverything() {
        for (WorkspaceRecord ws : desired.workspaces()) {
            routes.withdraw(ws.id().value());
            plumbing.teardown(ws);
        }
        save(DesiredState.EMPTY);
        reconciler.reconcile(DesiredState.EMPTY); // orphans with our prefixes
        if (nft.tableExists(Ruleset.FAMILY, config.tableName())) {
            nft.deleteTable(Ruleset.FAMILY, config.tableName());
        }
    }

    /** Gives up this agent's claim on its prefixes; the workspace networks stay. */
    @Override
    public void close() {
        registration.close();
    }

    public ShapingMode shapingMode() {
        return shaper.mode();
    }

    private Map<String, List<String>> currentSets() {
        return nft.setElements(Ruleset.FAMILY, config.tableName()).orElse(Map.of());
    }

    private WorkspaceStatus status(WorkspaceRecord ws, Map<String, List<String>> sets) {
        return status(ws, plumbing.observe(ws, sets));
    }

    /**
     * The answer to a create: the kernel state ensure has just made. Reading it back would cost as much
     * as making it (the table listing grows with the host); get and list read the kernel.
     */
    private WorkspaceStatus programmedStatus(WorkspaceRecord ws) {
        return status(ws, plumbing.programmed(ws));
    }

    private WorkspaceStatus status(WorkspaceRecord ws, ActualWorkspace actual) {
        AddressPlan.Slot slot = config.addressPlan().slot(ws.slot());
        return new WorkspaceStatus(ws, names.namespace(ws.id()), slot.workspace().toString(), slot.host().toString(),
                actual);
    }

    private Route route(WorkspaceRecord ws) {
        return Reconciler.routeOf(config, ws);
    }

    private void save(DesiredState next) {
        store.save(next);
        desired = next;
    }
}
