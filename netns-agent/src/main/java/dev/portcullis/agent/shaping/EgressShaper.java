package dev.portcullis.agent.shaping;

import static java.util.Objects.requireNonNull;

import dev.portcullis.agent.address.Ipv4Address;
import dev.portcullis.agent.address.Ipv4Cidr;
import dev.portcullis.agent.kernel.CommandBatch;
import dev.portcullis.agent.kernel.CommandResult;
import dev.portcullis.agent.kernel.CommandRunner;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Limits what leaves one link. A workspace's egress is shaped on its eth0, inside its namespace:
 * that is where its egress leaves, and the namespace belongs to the host's user namespace, so a
 * process in the workspace cannot remove it without CAP_NET_ADMIN there. Its ingress is shaped on
 * the host end of its veth, whose egress is exactly what enters the workspace.
 */
public final class EgressShaper {

    static final String CLASS_ID = "1:10";
    /** HTB's direct queue: a filter's flowid naming the qdisc itself ("1:") bypasses every class. */
    private static final String DIRECT = "1:";
    private static final Pattern U32_MATCH = Pattern.compile("match ([0-9a-f]{8})/([0-9a-f]{8}) at (\\d+)");

    private final CommandRunner commands;
    private final ShapingMode mode;

    public EgressShaper(CommandRunner commands, ShapingMode mode) {
        this.commands = requireNonNull(commands, "commands");
        this.mode = requireNonNull(mode, "mode");
    }

    /**
     * Tries HTB, then TBF, on the loopback of a throwaway namespace; the host's own links are never
     * touched by the probe.
     */
    public static ShapingMode probe(CommandRunner commands, String probeNamespace) {
        commands.run("ip", "netns", "delete", probeNamespace);
        if (!commands.run("ip", "netns", "add", probeNamespace).ok()) {
            return ShapingMode.NONE;
        }
        try {
            if (commands.run("tc", "-n", probeNamespace, "qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb").ok()) {
                return ShapingMode.HTB;
            }
            if (commands.run("tc", "-n", probeNamespace, "qdisc", "add", "dev", "lo", "root", "tbf",
                    "rate", "1mbit", "burst", "32kb", "latency", "50ms").ok()) {
                return ShapingMode.TBF;
            }
            return ShapingMode.NONE;
        } finally {
            commands.run("ip", "netns", "delete", probeNamespace);
        }
    }

    public ShapingMode mode() {
        return mode;
    }

    /**
     * Sets the limit of one link; 0 Mbit/s removes any limit. Idempotent and convergent: the HTB root
     * is added only when the link lacks exactly ours, because on current kernels (6.18) {@code qdisc
     * replace} of an existing HTB root fails ("Change operation not supported"); the class and the leaf
     * are {@code replace}d, which sets their parameters whatever they were, and the filters of the
     * exemption are deleted and added again. TBF has no classes, so it cannot exempt anything.
     *
     * @param namespace the link's namespace, null for the host's
     * @param fresh the link was made just now and has only the kernel's default root: nothing to read
     */
    public void apply(String namespace, String device, int mbit, boolean fresh, Exemption exempt) {
        requireNonNull(exempt, "exempt");
        Root root = fresh ? Root.DEFAULT : root(namespace, device);
        if (mbit == 0 || mode == ShapingMode.NONE) {
            if (root != Root.DEFAULT) {
                commands.check(tc(namespace, "qdisc", "del", "dev", device, "root"));
            }
            return;
        }
        String rate = mbit + "mbit";
        CommandBatch tc = CommandBatch.tc(commands, namespace);
        if (mode == ShapingMode.HTB) {
            if (root != Root.OURS_HTB) {
                if (root != Root.DEFAULT) {
                    // Someone else's root (or ours with other settings): HTB cannot be changed in place.
                    tc.add("qdisc", "del", "dev", device, "root");
                }
                tc.add("qdisc", "add", "dev", device, "root", "handle", "1:", "htb", "default", "10");
            } else {
                tc.add("filter", "del", "dev", device, "parent", "1:"); // all of them; succeeds when there are none
            }
            tc.add("class", "replace", "dev", device, "parent", "1:", "classid", CLASS_ID, "htb", "rate", rate,
                            "ceil", rate)
                    .add("qdisc", "replace", "dev", device, "parent", CLASS_ID, "handle", "10:", "pfifo", "limit", "1000");
            for (Ipv4Cidr network : exempt.networks()) {
                tc.add("filter", "add", "dev", device, "parent", "1:", "protocol", "ip", "prio", "1", "u32",
                        "match", "ip", exempt.side().word, network.toString(), "flowid", DIRECT);
            }
        } else {
            tc.add("qdisc", "replace", "dev", device, "root", "tbf", "rate", rate, "burst", "64kb", "latency", "50ms");
        }
        tc.run();
    }

    private static List<String> tc(String namespace, String... args) {
        List<String> argv = new ArrayList<>(List.of("tc"));
        if (namespace != null) {
            argv.addAll(List.of("-n", namespace));
        }
        argv.addAll(List.of(args));
        return argv;
    }

    /** What sits at the root of a link, as far as {@link #apply} cares. */
    private enum Root {
        /** None, or the kernel's noqueue/pfifo_fast: nothing to remove. */
        DEFAULT,
        /** Exactly the HTB root apply adds: handle 1:, unclassified traffic to 1:10. */
        OURS_HTB,
        OTHER
    }

    private Root root(String namespace, String device) {
        CommandResult shown = commands.run(tc(namespace, "qdisc", "show", "dev", device, "root"));
        String qdisc = shown.stdout().lines().filter(l -> l.startsWith("qdisc ")).findFirst().orElse("");
        if (qdisc.isEmpty() || qdisc.startsWith("qdisc noqueue ") || qdisc.startsWith("qdisc pfifo_fast 0:")) {
            return Root.DEFAULT;
        }
        if (qdisc.startsWith("qdisc htb 1: ") && "0x10".equals(word(qdisc, "default"))) {
            return Root.OURS_HTB;
        }
        return Root.OTHER;
    }

    /**
     * What is programmed now, e.g. "htb 100Mbit unshaped dst 10.0.0.5/32"; empty when the link has no
     * Portcullis limit. One tc process; each of its commands stands alone, since a link without our
     * root has no filters to show.
     */
    public Optional<String> current(String namespace, String device) {
        CommandResult shown = CommandBatch.tc(commands, namespace)
                .add("qdisc", "show", "dev", device, "root")
                .add("class", "show", "dev", device, "classid", CLASS_ID)
                .add("filter", "show", "dev", device, "parent", "1:")
                .runAll();
        String qdisc = shown.stdout().lines().filter(l -> l.startsWith("qdisc ")).findFirst().orElse("");
        if (qdisc.startsWith("qdisc tbf ")) {
            return Optional.of("tbf " + word(qdisc, "rate"));
        }
        if (!qdisc.startsWith("qdisc htb 1: ")) {
            return Optional.empty(); // also: no such namespace or device, nothing programmed
        }
        String defaultClass = word(qdisc, "default");
        String filters = filters(shown.stdout());
        return shown.stdout().lines().filter(l -> l.startsWith("class htb " + CLASS_ID + " ")).findFirst()
                .map(htbClass -> {
                    // rate alone when the class is as apply makes it; anything else is spelled out, so it differs.
                    String rate = word(htbClass, "rate");
                    String ceil = word(htbClass, "ceil");
                    return "htb " + rate + (ceil.equals(rate) ? "" : " ceil " + ceil)
                            + (defaultClass.equals("0x10") ? "" : " default " + defaultClass) + filters;
                });
    }

    /**
     * The filters as {@link Exemption#describe} spells them: u32 prints each match as hex value/mask
     * at its offset in the header. A filter of any other kind or target is named, so it differs.
     */
    private static String filters(String shown) {
        List<String> exempt = new ArrayList<>();
        List<String> other = new ArrayList<>();
        Exemption.Side side = null;
        boolean direct = false;
        for (String line : shown.lines().toList()) {
            if (line.startsWith("filter ")) {
                direct = line.contains("flowid " + DIRECT + " ") || line.strip().endsWith("flowid " + DIRECT);
                boolean header = !line.contains(" fh ") || line.contains(" ht divisor ");
                if (!header && !(line.contains(" u32 ") && direct)) {
                    other.add(line.strip()); // a rule that is not one of ours
                }
                continue;
            }
            Matcher match = U32_MATCH.matcher(line);
            if (direct && match.find()) {
                int offset = Integer.parseInt(match.group(3));
                Exemption.Side matched = offset == Exemption.Side.SOURCE.offset ? Exemption.Side.SOURCE
                        : offset == Exemption.Side.DESTINATION.offset ? Exemption.Side.DESTINATION : null;
                if (matched == null || (side != null && side != matched)) {
                    other.add(line.strip());
                    continue;
                }
                side = matched;
                int prefix = Long.bitCount(Long.parseLong(match.group(2), 16));
                exempt.add(new Ipv4Cidr(new Ipv4Address((int) Long.parseLong(match.group(1), 16)), prefix).toString());
            }
        }
        String described = side == null ? "" : Exemption.describe(side, exempt);
        return described + (other.isEmpty() ? "" : " other filters " + String.join("; ", other));
    }

    /** What {@link #current} shows for a limit and its exemption, to compare desired with actual. */
    public String expected(int mbit, Exemption exempt) {
        if (mbit == 0 || mode == ShapingMode.NONE) {
            return "";
        }
        String rate = mbit >= 1000 && mbit % 1000 == 0 ? (mbit / 1000) + "Gbit" : mbit + "Mbit";
        return mode == ShapingMode.HTB ? "htb " + rate + exempt.describe() : "tbf " + rate;
    }

    private static String word(String text, String after) {
        String[] words = text.strip().split("\\s+");
        for (int i = 0; i + 1 < words.length; i++) {
            if (words[i].equals(after)) {
                return words[i + 1];
            }
        }
        return "?";
    }
}
