package dev.portcullis.agent.lifecycle;

import static java.util.Objects.requireNonNull;

import dev.portcullis.agent.address.AddressPlan;
import dev.portcullis.agent.config.AgentConfig;
import dev.portcullis.agent.kernel.CommandRunner;
import dev.portcullis.agent.kernel.IpRoute;
import dev.portcullis.agent.kernel.Nft;
import dev.portcullis.agent.kernel.netlink.NetlinkSocket;
import dev.portcullis.agent.nftables.Ruleset;
import dev.portcullis.agent.ownership.PrefixRegistry;
import dev.portcullis.agent.route.Route;
import dev.portcullis.agent.route.RouteSink;
import dev.portcullis.agent.shaping.EgressShaper;
import dev.portcullis.agent.shaping.ShapingMode;
import dev.portcullis.agent.shaping.UplinkShaper;
import dev.portcullis.agent.state.DesiredState;
import dev.portcullis.agent.state.DesiredStateStore;
import dev.portcullis.policy.WorkspaceId;
import dev.portcullis.agent.workspace.WorkspaceRecord;
import dev.portcullis.agent.workspace.WorkspaceSpec;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host agent's core: create, delete, get and list workspace networks, and reconcile.
 * Reads (get, list, status) answer from memory and never wait: not for the kernel, not for a write.
 * Writes to different workspaces run side by side; see {@link AgentState} for the locks.
 * The desired state is saved before the kernel is touched (write-ahead), and a delete records its
 * intent first: a crash at any point leaves a record that the next pass completes in the direction
 * that was asked for, and an address that nobody else can be given.
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
    private final AgentState state;
    private final SpareNamespaces spares;
    /** The host's uplink shared by weight, when the config has one. */
    private final Optional<UplinkShaper> uplink;
    private volatile String lastReconcile = "never";

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
        this.uplink = config.uplink().map(settings -> new UplinkShaper(commands, settings));
        uplink.ifPresent(UplinkShaper::checkOwnable); // a missing link or a root of somebody else's: refuse
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
        this.state = new AgentState(store, loaded);
        // The pool makes a slot's network through the plumbing, which takes the spares it makes.
        this.spares = new SpareNamespaces(names, ip, config.spareNamespaces(), WorkspacePlumbing.namespaceSysctls(config),
                this::prepareSpare, this::reserveSpareSlot);
        this.plumbing = new WorkspacePlumbing(config, names, ip, nft, ruleset, shaper, spares);
        this.reconciler = new Reconciler(config, names, ip, nft, ruleset, plumbing, routes, state, spares);
    }

    private SpareNamespaces.Pair prepareSpare(int slot, String namespace, NetlinkSocket inside) {
        return plumbing.prepareSlot(slot, namespace, inside);
    }

    /** The slot of the next spare: the lowest that no workspace and no spare holds, picked where creates pick theirs. */
    private OptionalInt reserveSpareSlot() {
        return state.withLatest(latest -> spares.reserveFree(latest.usedSlots(), config.addressPlan().slotCount()));
    }

    /**
     * Every kernel name comes from the slot or id and the agent's prefixes; the file only confirms which
     * of a workspace's few possible link names it got. A record that names anything else (the host's
     * uplink, another agent's link) would make the agent address, forward on and delete a link it does not own.
     */
    private void checkOwnNames(DesiredState loaded) {
        for (WorkspaceRecord ws : loaded.workspaces()) {
            if (!names.isHostInterfaceOf(ws.id(), ws.slot(), ws.hostInterface())) {
                throw new IllegalStateException(store.file() + ": workspace " + ws.id() + " has hostInterface '"
                        + ws.hostInterface() + "', which this agent never derives from its slot or id (expected: one of "
                        + names.hostInterfaceCandidates(ws.id(), ws.slot()) + "); the file is damaged or was edited:"
                        + " refusing to start, nothing on the host was changed");
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

    /**
     * Loads the table with every live workspace in one transaction, then converges the rest (spare
     * namespaces an agent before this one left are removed then), then starts making spares.
     */
    public Reconciler.Report start() {
        if (config.globalForwarding()) {
            ip.hostSysctl("net.ipv4.ip_forward", "1");
        }
        reconciler.loadTable();
        log.info("nftables table inet {} loaded with {} workspaces", config.tableName(), state.desired().live().size());
        Reconciler.Report report = reconcile();
        spares.start();
        return report;
    }

    public WorkspaceStatus create(WorkspaceSpec spec) {
        requireNonNull(spec, "spec");
        return state.forWorkspace(spec.id(), () -> createLocked(spec));
    }

    private WorkspaceStatus createLocked(WorkspaceSpec spec) {
        DesiredState current = state.desired();
        Optional<WorkspaceRecord> existing = current.get(spec.id());
        if (existing.isPresent() && current.isDeleting(spec.id())) {
            throw RequestException.conflict("workspace " + spec.id() + " is being deleted: an earlier delete has not"
                    + " finished (expected: DELETE it again, then create it)");
        }
        if (existing.isPresent()) {
            return repeatCreate(existing.get(), spec);
        }
        AddressPlan plan = config.addressPlan();
        Recorded recorded = record(spec, plan);
        WorkspaceRecord ws = recorded.ws();
        Optional<SpareNamespaces.Spare> spare = recorded.spare();
        listener.after(CreateStep.DESIRED_STATE_SAVED, ws.id());
        try {
            build(ws, listener, spare);
            shareUplink();
            listener.after(CreateStep.UPLINK_SHAPED, ws.id());
            state.awaitDurable(recorded.version()); // its flush ran beside the kernel work; nothing is published before it
            routes.publish(route(ws));
            listener.after(CreateStep.ROUTE_PUBLISHED, ws.id());
        } catch (RuntimeException e) {
            // A failed create leaves nothing: undo what exists and give the address back.
            log.warn("create {} failed, rolling back: {}", ws.id(), e.getMessage());
            try {
                routes.withdraw(ws.id().value());
                plumbing.teardown(ws);
                state.update(after -> after.without(ws.id()));
                state.forget(ws.id());
                state.awaitDurable();
                shareUplink();
            } catch (RuntimeException undo) {
                e.addSuppressed(undo); // reconcile finishes the job
            }
            throw e;
        }
        state.observed(ws.id(), plumbing.programmed(ws));
        log.info("created {} at {} (owner {}, org {})", ws.id(), plan.slot(ws.slot()).workspace(), ws.owner(), ws.org());
        return statusOf(ws);
    }

    /**
     * The spare for a create: that of the requested address's slot, or the ready one of the lowest
     * slot; empty when there is none (the create makes its own network, at a slot no spare holds).
     */
    private Optional<SpareNamespaces.Spare> claimSpare(WorkspaceSpec spec, AddressPlan plan) {
        if (spec.address().isEmpty()) {
            return spares.claimAny();
        }
        int slot = plan.slotOfWorkspaceAddress(spec.address().get());
        return slot < 0 ? Optional.empty() : spares.claim(slot, Duration.ofSeconds(5));
    }

    /** A recorded workspace, the spare it claimed, and the version of the save that carried its record. */
    private record Recorded(WorkspaceRecord ws, Optional<SpareNamespaces.Spare> spare, long version) {}

    /**
     * Claims a spare and records the workspace at its slot (or the requested one, or the lowest free
     * one); the record, saved before the kernel is touched, then holds the slot, and the spare's
     * reservation is let go. A refused record gives the spare back.
     */
    private Recorded record(WorkspaceSpec spec, AddressPlan plan) {
        Optional<SpareNamespaces.Spare> spare = claimSpare(spec, plan);
        try {
            Recorded recorded;
            try {
                recorded = record(spec, plan, spare);
            } catch (AllFreeSlotsReserved e) {
                // Every free slot is a spare's still being made, or claimed by a create that may give it back.
                spares.awaitChange(Duration.ofSeconds(1));
                spare = spares.claimAny();
                try {
                    recorded = record(spec, plan, spare);
                } catch (AllFreeSlotsReserved again) {
                    throw rangeFull(plan);
                }
            }
            spare.ifPresent(spares::release);
            return recorded;
        } catch (RuntimeException e) {
            spare.ifPresent(spares::giveBack);
            throw e;
        }
    }

    /** Records the workspace at the spare's slot, the requested one, or the lowest free one. */
    private Recorded record(WorkspaceSpec spec, AddressPlan plan, Optional<SpareNamespaces.Spare> spare) {
        WorkspaceRecord[] made = new WorkspaceRecord[1];
        long version = state.update(before -> {
            int slot = spec.address().map(a -> requestedSlot(before, plan, a, spare))
                    .orElseGet(() -> spare.map(SpareNamespaces.Spare::slot).orElseGet(() -> freeSlot(before, plan)));
            made[0] = new WorkspaceRecord(spec.id(), spec.owner(), spec.org(), slot, names.slotInterface(slot),
                    spec.egressMbit(), spec.ingressMbit(), spec.weight(), clock.instant());
            return before.with(made[0]);
        });
        return new Recorded(made[0], spare, version);
    }

    /** Builds the kernel side; a table deleted behind the agent's back is reloaded at once, not at the next pass. */
    private void build(WorkspaceRecord ws, StepListener steps) {
        build(ws, steps, Optional.empty());
    }

    private void build(WorkspaceRecord ws, StepListener steps, Optional<SpareNamespaces.Spare> spare) {
        try {
            plumbing.ensure(ws, steps, spare);
        } catch (WorkspacePlumbing.TableMissingException e) {
            log.warn("table inet {} was missing when {} was created: reloading it now", config.tableName(), ws.id());
            reconciler.loadTable(); // with every live workspace, this one included: it is recorded already
            plumbing.ensure(ws, steps);
        }
    }

    private WorkspaceStatus repeatCreate(WorkspaceRecord existing, WorkspaceSpec spec) {
        boolean same = existing.owner().equals(spec.owner()) && existing.org().equals(spec.org())
                && existing.egressMbit() == spec.egressMbit() && existing.ingressMbit() == spec.ingressMbit()
                && existing.weight() == spec.weight()
                && spec.address().map(a -> a.equals(config.addressPlan().slot(existing.slot()).workspace())).orElse(true);
        if (!same) {
            int effective = plumbing.effectiveEgress(existing);
            throw RequestException.conflict("workspace " + existing.id() + " exists with owner=" + existing.owner()
                    + " org=" + existing.org() + " address=" + config.addressPlan().slot(existing.slot()).workspace()
                    + " egressMbit=" + effective + (existing.egressMbit() == 0 ? " (the agent's default)" : "")
                    + " ingressMbit=" + plumbing.effectiveIngress(existing)
                    + (existing.ingressMbit() == 0 ? " (the agent's default)" : "") + " weight=" + existing.weight()
                    + " (expected: the same parameters to repeat a create, or a delete first)");
        }
        build(existing, StepListener.NONE); // a retry after a timeout converges, changes nothing else
        shareUplink();
        routes.publish(route(existing));
        state.observed(existing.id(), plumbing.programmed(existing));
        return statusOf(existing);
    }

    private int requestedSlot(DesiredState desired, AddressPlan plan, dev.portcullis.agent.address.Ipv4Address address,
            Optional<SpareNamespaces.Spare> spare) {
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
        if (spares.isReserved(slot) && spare.map(s -> s.slot() != slot).orElse(true)) {
            // Its spare was claimed by a create that records it right now.
            throw RequestException.conflict("address: " + address + " is being given to another workspace"
                    + " (expected: a free address, or none to let the agent pick)");
        }
        return slot;
    }

    /**
     * The lowest slot that neither a workspace nor a spare holds; when only spares' slots are free,
     * {@link AllFreeSlotsReserved} (the caller waits for the pool and takes a spare).
     */
    private int freeSlot(DesiredState desired, AddressPlan plan) {
        Set<Integer> used = desired.usedSlots();
        boolean reserved = false;
        for (int slot = 0; slot < plan.slotCount(); slot++) {
            if (!used.contains(slot)) {
                if (!spares.isReserved(slot)) {
                    return slot;
                }
                reserved = true;
            }
        }
        throw reserved ? new AllFreeSlotsReserved() : rangeFull(plan);
    }

    private static RequestException rangeFull(AddressPlan plan) {
        return RequestException.conflict("address range " + plan.range() + " is full: " + plan.slotCount()
                + " workspaces of /" + plan.slotPrefixLength() + " (expected: a delete first, or a larger addressRange)");
    }

    /** Every free slot is held by a spare, none of them ready to claim. */
    private static final class AllFreeSlotsReserved extends RuntimeException {
        AllFreeSlotsReserved() {
            super("every free slot is held by a spare", null, false, false);
        }
    }

    /**
     * Records the intent, then withdraws the route, removes the kernel side and the record. Interrupted
     * (a crash, a failing command), the intent stays and the next pass or start finishes the delete.
     */
    public void delete(WorkspaceId id) {
        requireNonNull(id, "id");
        state.forWorkspace(id, () -> {
            if (state.desired().get(id).isEmpty()) {
                throw RequestException.notFound("workspace " + id + " does not exist");
            }
            if (!state.desired().isDeleting(id)) {
                long intent = state.update(current -> current.markDeleting(id));
                state.awaitDurable(intent); // the intent survives a power loss before the route is withdrawn
            }
            reconciler.finishDelete(id);
            state.awaitDurable();
            log.info("deleted {}", id);
            try {
                shareUplink();
            } catch (RuntimeException e) {
                // The workspace is gone, and its class classifies nothing any more (its map element went
                // with it): the next pass takes the class away and gives its share back.
                log.warn("deleted {}, but could not update the uplink's classes: {}", id, e.getMessage());
            }
            return null;
        });
    }

    public boolean contains(WorkspaceId id) {
        return state.desired().get(id).isPresent();
    }

    /** From memory: the record and what the kernel had when the agent last built or looked at it. */
    public WorkspaceStatus get(WorkspaceId id) {
        WorkspaceRecord ws = state.desired().get(id)
                .orElseThrow(() -> RequestException.notFound("workspace " + id + " does not exist"));
        return statusOf(ws);
    }

    /** From memory, like {@link #get}; costs the same at 1000 workspaces as a copy of 1000 records. */
    public List<WorkspaceStatus> list() {
        return state.desired().workspaces().stream().map(this::statusOf).toList();
    }

    /** Reads the kernel now, without any lock: for operators and tests that must see the kernel itself. */
    public WorkspaceStatus inspect(WorkspaceId id) {
        WorkspaceRecord ws = state.desired().get(id)
                .orElseThrow(() -> RequestException.notFound("workspace " + id + " does not exist"));
        Map<String, List<String>> sets = nft.setElements(Ruleset.FAMILY, config.tableName()).orElse(Map.of());
        return status(ws, plumbing.observe(ws, sets));
    }

    /** One reconcile pass: see {@link Reconciler} for what it takes locks for (little); then the uplink's classes. */
    public Reconciler.Report reconcile() {
        Reconciler.Report pass = reconciler.pass();
        if (uplink.isEmpty()) {
            return recordPass(pass);
        }
        List<String> actions = new ArrayList<>(pass.actions());
        String link = "uplink " + uplink.get().settings().interfaceName() + ": ";
        List<String> repaired = new ArrayList<>();
        try {
            uplink.get().sync(() -> state.desired().live()).forEach(change -> repaired.add(link + change));
        } catch (RuntimeException e) {
            repaired.add("could not repair the uplink: " + e.getMessage());
        }
        repaired.forEach(action -> log.warn("reconcile: {}", action));
        actions.addAll(repaired);
        return recordPass(new Reconciler.Report(actions));
    }

    /**
     * Gives every live workspace its class on the uplink at its weighted share (every share changes
     * with the sum of the weights). Nothing without an uplink in the config.
     */
    private void shareUplink() {
        uplink.ifPresent(shaper -> shaper.sync(() -> state.desired().live()));
    }

    private Reconciler.Report recordPass(Reconciler.Report report) {
        lastReconcile = clock.instant() + " " + (report.actions().isEmpty() ? "in sync" : report.actions().size() + " actions");
        return report;
    }

    /** From memory: what the agent chose at start, how full the range is, the last pass. */
    public AgentStatus status() {
        DesiredState desired = state.desired();
        int slots = config.addressPlan().slotCount();
        return new AgentStatus(config.hostName(), Ruleset.FAMILY + " " + config.tableName(), reconciler.tablePresent(),
                config.addressPlan().range().toString(), config.addressPlan().slotPrefixLength(),
                desired.live().size(), slots - desired.workspaces().size(), shaper.mode(), lastReconcile,
                config.addressPlan().ipv6Prefix().map(Object::toString).orElse(null),
                uplink.map(UplinkShaper::state).orElse(null));
    }

    /** The running table, read from the kernel (it carries the counters); takes no lock. */
    public String rules() {
        return nft.listTable(Ruleset.FAMILY, config.tableName());
    }

    /** Removes every workspace network and the table; the desired state ends empty. For tests and uninstall. */
    public void removeEverything() {
        spares.close();
        for (WorkspaceRecord ws : state.desired().workspaces()) {
            delete(ws.id());
        }
        reconciler.pass(); // orphans with our prefixes
        uplink.ifPresent(UplinkShaper::remove);
        state.exclusive(() -> {
            if (nft.tableExists(Ruleset.FAMILY, config.tableName())) {
                nft.deleteTable(Ruleset.FAMILY, config.tableName());
            }
            return null;
        });
    }

    /**
     * Runs {@code hook} before each change of a namespace or link, named ("create network namespace
     * pc-ws1"): the seam for tests that hold or crash the agent there (those changes go over netlink,
     * in the agent itself, so the command runner no longer sees them).
     */
    public void beforeKernelChange(java.util.function.Consumer<String> hook) {
        ip.beforeChange(hook);
    }

    /**
     * Deletes the spare namespaces and gives up this agent's claim on its prefixes; the workspace
     * networks stay, and the state file holds every save (the slots hold them anyway).
     */
    @Override
    public void close() {
        try {
            spares.close();
        } finally {
            try {
                state.settle();
            } catch (RuntimeException e) {
                log.warn("stopping: the state file may lag the durable slots, which the next start reads: {}",
                        e.getMessage());
            } finally {
                registration.close();
            }
        }
    }

    /** The spare namespaces ready now, by name (see {@link SpareNamespaces}). */
    public List<String> spareNamespaces() {
        return spares.ready();
    }

    /**
     * Stands for kill -9 of the agent's process in tests: the spares stop being made and nothing is
     * cleaned up, not even the claim on the prefixes (a dead process's claim is released by the kernel).
     */
    void simulateKill() {
        spares.stop();
        registration.close();
    }

    public ShapingMode shapingMode() {
        return shaper.mode();
    }

    private WorkspaceStatus statusOf(WorkspaceRecord ws) {
        return status(ws, state.observation(ws.id()).orElseGet(() -> plumbing.notYetBuilt(ws)));
    }

    private WorkspaceStatus status(WorkspaceRecord ws, ActualWorkspace actual) {
        AddressPlan.Slot slot = config.addressPlan().slot(ws.slot());
        return new WorkspaceStatus(ws, names.namespace(ws.id()), slot.workspace().toString(), slot.host().toString(),
                plumbing.effectiveEgress(ws), plumbing.effectiveIngress(ws), state.desired().isDeleting(ws.id()), actual,
                slot.ipv6().map(link -> link.workspace().toString()).orElse(null),
                slot.ipv6().map(link -> link.host().toString()).orElse(null));
    }

    private Route route(WorkspaceRecord ws) {
        return Reconciler.routeOf(config, ws);
    }

}
