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

    /** Sets the limit of one workspace link; 0 Mbit/s removes any limit. Idempotent; one tc process. */
    public void apply(String namespace, String device, int mbit) {
        if (mbit == 0 || mode == ShapingMode.NONE) {
            if (current(namespace, device).isPresent()) {
                commands.check("tc", "-n", namespace, "qdisc", "del", "dev", device, "root");
            }
            return;
        }
        String rate = mbit + "mbit";
        CommandBatch tc = CommandBatch.tc(commands, namespace);
        if (mode == ShapingMode.HTB) {
            tc.add("qdisc", "replace", "dev", device, "root", "handle", "1:", "htb", "default", "10")
                    .add("class", "replace", "dev", device, "parent", "1:", "classid", CLASS_ID, "htb", "rate", rate,
                            "ceil", rate)
                    .add("qdisc", "replace", "dev", device, "parent", CLASS_ID, "handle", "10:", "pfifo", "limit", "1000");
        } else {
            tc.add("qdisc", "replace", "dev", device, "root", "tbf", "rate", rate, "burst", "64kb", "latency", "50ms");
        }
        tc.run();
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
        return shown.stdout().lines().filter(l -> l.startsWith("class htb " + CLASS_ID + " ")).findFirst()
                .map(htbClass -> "htb " + word(htbClass, "rate"));
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
