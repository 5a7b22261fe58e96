package dev.portcullis.agent.shaping;

import static java.util.Objects.requireNonNull;

import dev.portcullis.agent.kernel.CommandBatch;
import dev.portcullis.agent.kernel.CommandFailedException;
import dev.portcullis.agent.kernel.CommandResult;
import dev.portcullis.agent.kernel.CommandRunner;
import java.util.Optional;

/**
 * Limits what a workspace sends. The qdisc sits on the workspace's eth0, inside its namespace:
 * that is where its egress leaves, and the namespace belongs to the host's user namespace, so a
 * process in the workspace cannot remove it without CAP_NET_ADMIN there.
 */
public final class EgressShaper {

    static final String CLASS_ID = "1:10";

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
     * Sets the limit of one workspace link; 0 Mbit/s removes any limit. Idempotent and convergent:
     * the HTB root is added only when the link lacks exactly ours, because on current kernels (6.18)
     * {@code qdisc replace} of an existing HTB root fails ("Change operation not supported"); the
     * class and the leaf are {@code replace}d, which sets their parameters whatever they were.
     *
     * @param fresh the link was made just now and has only the kernel's default root: nothing to read
     */
    public void apply(String namespace, String device, int mbit, boolean fresh) {
        Root root = fresh ? Root.DEFAULT : root(namespace, device);
        if (mbit == 0 || mode == ShapingMode.NONE) {
            if (root != Root.DEFAULT) {
                commands.check("tc", "-n", namespace, "qdisc", "del", "dev", device, "root");
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
            }
            tc.add("class", "replace", "dev", device, "parent", "1:", "classid", CLASS_ID, "htb", "rate", rate,
                            "ceil", rate)
                    .add("qdisc", "replace", "dev", device, "parent", CLASS_ID, "handle", "10:", "pfifo", "limit", "1000");
        } else {
            tc.add("qdisc", "replace", "dev", device, "root", "tbf", "rate", rate, "burst", "64kb", "latency", "50ms");
        }
        tc.run();
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
        CommandResult shown = commands.run("tc", "-n", namespace, "qdisc", "show", "dev", device, "root");
        String qdisc = shown.stdout().lines().filter(l -> l.startsWith("qdisc ")).findFirst().orElse("");
        if (qdisc.isEmpty() || qdisc.startsWith("qdisc noqueue ") || qdisc.startsWith("qdisc pfifo_fast 0:")) {
            return Root.DEFAULT;
        }
        if (qdisc.startsWith("qdisc htb 1: ") && "0x10".equals(word(qdisc, "default"))) {
            return Root.OURS_HTB;
        }
        return Root.OTHER;
    }

    /** What is programmed now, e.g. "htb 100Mbit"; empty when the link has no Portcullis limit. One tc process. */
    public Optional<String> current(String namespace, String device) {
        CommandResult shown;
        try {
            shown = CommandBatch.tc(commands, namespace)
                    .add("qdisc", "show", "dev", device, "root")
                    .add("class", "show", "dev", device, "classid", CLASS_ID)
                    .run();
        } catch (CommandFailedException e) {
            return Optional.empty(); // no such namespace or device: nothing programmed
        }
        String qdisc = shown.stdout().lines().filter(l -> l.startsWith("qdisc ")).findFirst().orElse("");
        if (qdisc.startsWith("qdisc tbf ")) {
            return Optional.of("tbf " + word(qdisc, "rate"));
        }
        if (!qdisc.startsWith("qdisc htb 1: ")) {
            return Optional.empty();
        }
        String defaultClass = word(qdisc, "default");
        return shown.stdout().lines().filter(l -> l.startsWith("class htb " + CLASS_ID + " ")).findFirst()
                .map(htbClass -> {
                    // rate alone when the class is as apply makes it; anything else is spelled out, so it differs.
                    String rate = word(htbClass, "rate");
                    String ceil = word(htbClass, "ceil");
                    return "htb " + rate + (ceil.equals(rate) ? "" : " ceil " + ceil)
                            + (defaultClass.equals("0x10") ? "" : " default " + defaultClass);
                });
    }

    /** The rate string tc prints for a limit, to compare desired with actual. */
    public String expected(int mbit) {
        if (mbit == 0 || mode == ShapingMode.NONE) {
            return "";
        }
        String rate = mbit >= 1000 && mbit % 1000 == 0 ? (mbit / 1000) + "Gbit" : mbit + "Mbit";
        return (mode == ShapingMode.HTB ? "htb " : "tbf ") + rate;
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
