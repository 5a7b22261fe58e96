package dev.portcullis.agent.shaping;

import static java.util.Objects.requireNonNull;

import dev.portcullis.agent.config.UplinkSettings;
import dev.portcullis.agent.kernel.CommandBatch;
import dev.portcullis.agent.kernel.CommandResult;
import dev.portcullis.agent.kernel.CommandRunner;
import dev.portcullis.agent.workspace.WorkspaceRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Shares the host's uplink between workspaces by weight. The agent owns one HTB tree on the uplink:
 *
 * <pre>
 * qdisc htb 7063: root default 2
 *   class 7063:1      rate = ceil = the uplink's rate
 *     class 7063:2    the host's own traffic (hostWeight)
 *     class 7063:10+n one per workspace (slot n): rate = its weighted share, ceil = the whole uplink,
 *                     quantum = 64 KiB x weight
 * </pre>
 *
 * Rate is what a workspace is guaranteed; what busy workspaces leave over (an idle one's share) is
 * lent by the parent in rounds of {@code quantum} bytes, so it is shared by weight too. The quantum
 * must be larger than the largest packet HTB sees: the uplink hands it GSO packets of up to 64 KiB,
 * and a class sends at least one per round, so a quantum of a few MTUs made the lent part equal per
 * class instead of per weight (measured: 73% off with weights 1, 2, 4).
 *
 * <p>After masquerading the uplink no longer sees which workspace a packet came from, so the
 * agent's nftables table sets the packet's priority to the workspace's class id in its forward
 * chain (map {@code ws_uplink_classes}, keyed by the workspace's host link), and HTB takes a priority
 * that names one of its leaf classes as the class: no tc filter at all. Priority rather than a
 * firewall mark with the {@code fw} classifier, because marks belong to whoever else runs on the
 * host (kube-proxy, Docker, Calico, WireGuard and Tailscale route and masquerade by mark bits), a
 * mark would need a filter per workspace or bits of its own, and HTB reads the priority itself.
 *
 * <p>The tree is the agent's only if its root is {@code htb 7063:}; a root of anybody else (any
 * qdisc with a handle other than the kernel's default {@code 0:}) is never touched: the agent
 * refuses to start, and a pass reports it and leaves it. Every change is one {@code tc -batch}.
 */
public final class UplinkShaper {

    /** "pc": the agent's handle on the uplink, which marks the root as the agent's. */
    public static final String ROOT = "7063:";
    public static final String UPLINK_CLASS = "7063:1";
    /** Everything without a workspace class (the host's own traffic) lands here: the root's default. */
    public static final String HOST_CLASS = "7063:2";
    private static final int FIRST_WORKSPACE_MINOR = 0x10;
    /** Per weight: above the 64 KiB of a GSO packet, so every round moves bytes in proportion to the weight. */
    public static final int QUANTUM_PER_WEIGHT = 65_536;
    private static final Pattern RATE = Pattern.compile("(\\d+(?:\\.\\d+)?)(bit|Kbit|Mbit|Gbit|Tbit)");

    /** Thrown when the uplink's root is someone else's: nothing was changed. */
    public static final class ForeignRootException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        ForeignRootException(String message) {
            super(message);
        }
    }

    private final CommandRunner commands;
    private final UplinkSettings settings;
    private final Path sysClassNet;
    /** Creates and deletes of different workspaces run side by side; the tree is one, so one change at a time. */
    private final ReentrantLock changes = new ReentrantLock();
    private volatile String state = "not built yet";

    public UplinkShaper(CommandRunner commands, UplinkSettings settings) {
        this(commands, settings, Path.of("/sys/class/net"));
    }

    UplinkShaper(CommandRunner commands, UplinkSettings settings, Path sysClassNet) {
        this.commands = requireNonNull(commands, "commands");
        this.settings = requireNonNull(settings, "settings");
        this.sysClassNet = requireNonNull(sysClassNet, "sysClassNet");
    }

    /** The class of the workspace in {@code slot}: 7063:10 for slot 0 (tc writes minors in hex). */
    public static String classId(int slot) {
        if (slot < 0 || FIRST_WORKSPACE_MINOR + slot > 0xffff) {
            throw new IllegalArgumentException("slot: " + slot + " (expected: 0-" + (0xffff - FIRST_WORKSPACE_MINOR)
                    + ", a tc class id's minor is 16 bits)");
        }
        return ROOT + Integer.toHexString(FIRST_WORKSPACE_MINOR + slot);
    }

    public UplinkSettings settings() {
        return settings;
    }

    /** What the agent last made or found, for status: "eth0 1000 Mbit/s: 12 workspace classes" or the problem. */
    public String state() {
        return state;
    }

    /**
     * The start-up check, before anything on the host is changed: the link exists, and its root is the
     * kernel's default or the agent's own tree.
     */
    public void checkOwnable() {
        String link = settings.interfaceName();
        if (!Files.exists(sysClassNet.resolve(link))) {
            throw new IllegalStateException("uplink.interface: '" + link + "' does not exist on this host (expected: the"
                    + " host's link to the internet, e.g. eth0; `ip link` lists them): refusing to start, nothing was changed");
        }
        Root root = root();
        if (root.kind() == Root.Kind.FOREIGN) {
            throw new ForeignRootException(foreign(root) + ": refusing to start, nothing was changed");
        }
    }

    /**
     * Makes the tree exactly what {@code live} (read under this shaper's lock, so the last change of
     * concurrent ones sees every workspace) asks for: the root, the uplink's and the host's classes, one
     * class per workspace with its weighted share, and no other class. Every rate depends on the sum of
     * the weights, so a create or delete changes every class; that is one {@code tc -batch}.
     *
     * @return what differed and was changed, in words; empty when the tree was as it should be
     * @throws ForeignRootException when the uplink's root is not the agent's (nothing is changed)
     */
    public List<String> sync(Supplier<? extends Collection<WorkspaceRecord>> live) {
        changes.lock();
        try {
            Collection<WorkspaceRecord> workspaces = live.get();
            Map<String, HtbClass> wanted = wanted(workspaces);
            Map<String, String> owners = new LinkedHashMap<>();
            owners.put(UPLINK_CLASS, "the uplink");
            owners.put(HOST_CLASS, "the host's own traffic, weight " + settings.hostWeight());
            workspaces.forEach(ws -> owners.put(classId(ws.slot()), "workspace " + ws.id() + ", weight " + ws.weight()));

            String link = settings.interfaceName();
            List<String> done = new ArrayList<>();
            CommandBatch tc = CommandBatch.tc(commands, null);
            Root root = root();
            Map<String, HtbClass> present;
            switch (root.kind()) {
                case FOREIGN -> {
                    state = foreign(root);
                    throw new ForeignRootException(state + ": left alone (expected: the kernel's default root, or the"
                            + " agent's htb " + ROOT + "; remove it with `tc qdisc del dev " + link + " root` to let the"
                            + " agent share the uplink)");
                }
                case DEFAULT -> {
                    tc.add("qdisc", "add", "dev", link, "root", "handle", ROOT, "htb", "default", "2");
                    done.add("added the HTB root " + ROOT + " on " + link);
                    present = Map.of();
                }
                case OURS_OTHER_DEFAULT -> {
                    // HTB's default class cannot be changed in place: start the tree over.
                    tc.add("qdisc", "del", "dev", link, "root");
                    tc.add("qdisc", "add", "dev", link, "root", "handle", ROOT, "htb", "default", "2");
                    done.add("rebuilt the HTB root " + ROOT + " on " + link + ", whose default class was " + root.detail());
                    present = Map.of();
                }
                default -> present = classes();
            }
            for (String id : present.keySet()) {
                if (!wanted.containsKey(id)) {
                    tc.add("class", "del", "dev", link, "classid", id);
                    done.add("deleted class " + id + " (no workspace has it)");
                }
            }
            wanted.forEach((id, want) -> {
                HtbClass actual = present.get(id);
                if (actual != null && actual.matches(want)) {
                    return;
                }
                List<String> args = new ArrayList<>(List.of("class", "replace", "dev", link, "parent", want.parent(),
                        "classid", id, "htb", "rate", want.rateKbit() + "kbit", "ceil", want.ceilKbit() + "kbit"));
                args.addAll(List.of("quantum", Integer.toString(want.quantum())));
                tc.add(args.toArray(String[]::new));
                if (!present.isEmpty() || root.kind() == Root.Kind.OURS) {
                    done.add((actual == null ? "added class " : "set class ") + id + " (" + owners.get(id) + ") to "
                            + want.describe() + (actual == null ? "" : ", it was " + actual.describe()));
                }
            });
            if (!tc.isEmpty()) {
                tc.run();
            }
            state = link + " " + settings.rateMbit() + " Mbit/s: " + workspaces.size() + " workspace classes";
            return done;
        } finally {
            changes.unlock();
        }
    }

    /** Deletes the agent's tree (uninstall, tests); a root that is not the agent's is left alone. */
    public void remove() {
        changes.lock();
        try {
            if (Files.exists(sysClassNet.resolve(settings.interfaceName()))) {
                Root.Kind kind = root().kind();
                if (kind == Root.Kind.OURS || kind == Root.Kind.OURS_OTHER_DEFAULT) {
                    commands.check("tc", "qdisc", "del", "dev", settings.interfaceName(), "root");
                }
            }
            state = "removed";
        } finally {
            changes.unlock();
        }
    }

    private Map<String, HtbClass> wanted(Collection<WorkspaceRecord> workspaces) {
        long rate = settings.rateMbit() * 1000L;
        long weights = settings.hostWeight() + workspaces.stream().mapToLong(WorkspaceRecord::weight).sum();
        Map<String, HtbClass> wanted = new LinkedHashMap<>();
        // Parents first: the batch makes them before their children.
        wanted.put(UPLINK_CLASS, new HtbClass(ROOT, rate, rate, QUANTUM_PER_WEIGHT, false));
        wanted.put(HOST_CLASS, share(rate, weights, settings.hostWeight()));
        workspaces.forEach(ws -> wanted.put(classId(ws.slot()), share(rate, weights, ws.weight())));
        return wanted;
    }

    /** A leaf under the uplink's class: its weighted share (at least 8 kbit/s, HTB's floor here), ceil the uplink. */
    private static HtbClass share(long rateKbit, long weights, int weight) {
        return new HtbClass(UPLINK_CLASS, Math.max(8, rateKbit * weight / weights), rateKbit, QUANTUM_PER_WEIGHT * weight,
                true);
    }

    /**
     * One HTB class as the agent makes it or tc shows it. tc prints rates rounded down to its unit
     * (19047Kbit, 1500Mbit), so a rate matches within 0.1%; the quantum is printed for leaves only.
     */
    record HtbClass(String parent, long rateKbit, long ceilKbit, int quantum, boolean leaf) {
        boolean matches(HtbClass want) {
            return parent.equals(want.parent) && close(rateKbit, want.rateKbit) && close(ceilKbit, want.ceilKbit)
                    && (!want.leaf || quantum == want.quantum);
        }

        private static boolean close(long actual, long wanted) {
            return Math.abs(actual - wanted) <= Math.max(1, wanted / 1000);
        }

        String describe() {
            return "rate " + rateKbit + "kbit ceil " + ceilKbit + "kbit" + (leaf ? " quantum " + quantum : "");
        }
    }

    /** The classes on the uplink, by id; one tc process ({@code -d} prints the quantum). */
    private Map<String, HtbClass> classes() {
        String shown = commands.check("tc", "-d", "class", "show", "dev", settings.interfaceName()).stdout();
        Map<String, HtbClass> classes = new LinkedHashMap<>();
        for (String line : shown.lines().toList()) {
            String[] words = line.strip().split("\\s+");
            if (words.length < 3 || !words[0].equals("class") || !words[2].startsWith(ROOT)) {
                continue;
            }
            boolean root = line.contains(" root ");
            String parent = root ? ROOT : word(words, "parent").orElse("?");
            String quantum = word(words, "quantum").orElse("-1");
            classes.put(words[2], new HtbClass(parent, kbit(word(words, "rate").orElse("0bit")),
                    kbit(word(words, "ceil").orElse("0bit")), Integer.parseInt(quantum),
                    word(words, "level").map("0"::equals).orElse(false)));
        }
        return classes;
    }

    private static Optional<String> word(String[] words, String after) {
        for (int i = 0; i + 1 < words.length; i++) {
            if (words[i].equals(after)) {
                return Optional.of(words[i + 1]);
            }
        }
        return Optional.empty();
    }

    /** "19047Kbit" in kbit/s; tc's units are powers of 1000. */
    static long kbit(String rate) {
        Matcher m = RATE.matcher(rate);
        if (!m.matches()) {
            return -1; // an unexpected spelling: never matches a wanted rate, so the class is set again
        }
        double value = Double.parseDouble(m.group(1));
        double bits = switch (m.group(2)) {
            case "bit" -> value;
            case "Kbit" -> value * 1e3;
            case "Mbit" -> value * 1e6;
            case "Gbit" -> value * 1e9;
            default -> value * 1e12;
        };
        return Math.round(bits / 1000);
    }

    /** What sits at the uplink's root. */
    private record Root(Kind kind, String line, String detail) {
        enum Kind {
            /** The kernel's own (handle 0:: noqueue, pfifo_fast, mq, fq_codel ...): nobody's, the agent may replace it. */
            DEFAULT,
            /** htb 7063: default 2. */
            OURS,
            /** htb 7063: with another default class: the agent's handle, so the agent's, but not as it makes it. */
            OURS_OTHER_DEFAULT,
            FOREIGN
        }
    }

    private Root root() {
        CommandResult shown = commands.check("tc", "qdisc", "show", "dev", settings.interfaceName(), "root");
        String line = shown.stdout().lines().filter(l -> l.startsWith("qdisc ")).findFirst().orElse("").strip();
        String[] words = line.split("\\s+");
        if (line.isEmpty() || words.length < 3 || words[2].equals("0:")) {
            return new Root(Root.Kind.DEFAULT, line, "");
        }
        if (words[1].equals("htb") && words[2].equals(ROOT)) {
            String defaultClass = word(words, "default").orElse("?");
            return "0x2".equals(defaultClass) ? new Root(Root.Kind.OURS, line, defaultClass)
                    : new Root(Root.Kind.OURS_OTHER_DEFAULT, line, defaultClass);
        }
        return new Root(Root.Kind.FOREIGN, line, "");
    }

    private String foreign(Root root) {
        return "uplink " + settings.interfaceName() + " has a root qdisc the agent did not make: '" + root.line()
                + "' (expected: the kernel's default, handle 0:, or the agent's htb " + ROOT + ")";
    }
}
