package dev.portcullis.agent.testing;

import dev.portcullis.agent.address.Ipv4Cidr;
import dev.portcullis.agent.config.AgentConfig;
import dev.portcullis.agent.kernel.ProcessCommandRunner;
import dev.portcullis.agent.lifecycle.WorkspaceNetworks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;

/**
 * Names and a range of this test's own: random prefixes for namespaces, links and the table, so a
 * test never sees (or deletes) anything it did not make; and a sweep that removes all of it even
 * when the test failed half-way.
 */
public final class TestHost implements AutoCloseable {

    private static final ProcessCommandRunner COMMANDS = new ProcessCommandRunner();

    private final String tag;
    private final Path stateDir;
    private final Ipv4Cidr range;

    public TestHost(String range) {
        Random random = new Random();
        StringBuilder tag = new StringBuilder("q");
        for (int i = 0; i < 4; i++) {
            tag.append((char) ('a' + random.nextInt(26)));
        }
        this.tag = tag.toString();
        this.range = Ipv4Cidr.parse(range);
        try {
            this.stateDir = Files.createTempDirectory("portcullis-agent-test");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public String tag() {
        return tag;
    }

    public String namespacePrefix() {
        return "pct" + tag + "-";
    }

    /** Namespaces the test itself makes (gateway, internet, ...): not the agent's prefix, so reconcile leaves them. */
    public String peerNamespacePrefix() {
        return "pcx" + tag + "-";
    }

    public String tableName() {
        return "pct_" + tag;
    }

    public Path stateDir() {
        return stateDir;
    }

    /**
     * A config for this test: own prefixes, own range, no global forwarding (links forward one by one),
     * two spare namespaces (so the first creates of every test take one, and the ones after make their own).
     */
    public AgentConfig.Builder config() {
        return AgentConfig.builder()
                .stateDir(stateDir)
                .socketPath(stateDir.resolve("agent.sock"))
                .namespacePrefix(namespacePrefix())
                .interfacePrefix(tag)
                .tableName(tableName())
                .addressRange(range)
                .slotPrefixLength(31)
                .globalForwarding(false)
                .reconcileInterval(Duration.ofHours(1))
                .spareNamespaces(2)
                .hostName("test-host");
    }

    /**
     * The after-each of a test that ran an agent on this host: the agent removes what it built,
     * then the sweep removes whatever is left, even when the agent could not.
     */
    public static void cleanUp(TestHost host, WorkspaceNetworks agent) {
        if (host == null) {
            return; // the test was skipped before it built anything
        }
        try {
            if (agent != null) {
                try {
                    agent.removeEverything();
                } finally {
                    agent.close();
                }
            }
        } finally {
            host.close();
        }
    }

    /** Deletes every namespace, link and table with this test's prefixes. */
    @Override
    public void close() {
        for (String line : COMMANDS.run("ip", "netns", "list").stdout().split("\n")) {
            String ns = line.strip().split(" ", 2)[0];
            if (ns.startsWith(namespacePrefix()) || ns.startsWith(peerNamespacePrefix())) {
                COMMANDS.run("ip", "netns", "delete", ns);
            }
        }
        for (String link : allLinks()) {
            COMMANDS.run("ip", "link", "delete", "dev", link);
        }
        COMMANDS.run("nft", "delete", "table", "inet", tableName());
        COMMANDS.run("nft", "delete", "table", "inet", tableName() + "_net");
        try (var files = Files.walk(stateDir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temp dir left behind is harmless
        }
    }

    /** Host links whose name starts with this test's tag, but those of spare namespaces (see {@link #spareLinks}). */
    public List<String> links() {
        // All links first: a spare's link listed here has its eth0 in its namespace by the time its
        // peers are looked up below (the pair is made at once), even while the pool makes spares.
        List<String> all = allLinks();
        List<String> spares = spareLinks();
        return all.stream().filter(name -> !spares.contains(name)).toList();
    }

    /**
     * The host ends of the veth pairs the agent's spare namespaces carry: by name they are workspace
     * links (their slot's), so they are found through their peers, the eth0 inside each spare.
     */
    public List<String> spareLinks() {
        java.util.Set<String> peerIndexes = new java.util.HashSet<>();
        for (String spare : spareNamespaces()) {
            // "2: eth0@if22862: <...>": the number after "@if" is the host end's index
            String line = COMMANDS.run("ip", "-n", spare, "-o", "link", "show", "eth0").stdout().strip();
            int at = line.indexOf("@if");
            if (at > 0) {
                peerIndexes.add(line.substring(at + 3, line.indexOf(':', at)));
            }
        }
        return COMMANDS.run("ip", "-o", "link", "show").stdout().lines()
                .filter(l -> peerIndexes.contains(l.split(":", 2)[0].strip()))
                .map(l -> l.split(":", 3)[1].strip().split("@", 2)[0])
                .filter(name -> name.startsWith(tag))
                .toList();
    }

    private List<String> allLinks() {
        return COMMANDS.run("ip", "-o", "link", "show").stdout().lines()
                .map(l -> l.split(":", 3)[1].strip().split("@", 2)[0])
                .filter(name -> name.startsWith(tag))
                .toList();
    }

    /** The agent's namespaces of this test but its spares (made ahead of demand, see {@link #spareNamespaces}). */
    public List<String> namespaces() {
        return allNamespaces().stream().filter(ns -> !ns.startsWith(spareNamespacePrefix())).toList();
    }

    /** The spare namespaces of this test's prefix (left by any agent of this test). */
    public List<String> spareNamespaces() {
        return allNamespaces().stream().filter(ns -> ns.startsWith(spareNamespacePrefix())).toList();
    }

    public String spareNamespacePrefix() {
        return namespacePrefix() + "_spare_";
    }

    private List<String> allNamespaces() {
        return COMMANDS.run("ip", "netns", "list").stdout().lines()
                .map(l -> l.strip().split(" ", 2)[0])
                .filter(ns -> ns.startsWith(namespacePrefix()))
                .sorted()
                .toList();
    }

    public boolean tableExists() {
        return COMMANDS.run("nft", "list", "table", "inet", tableName()).ok();
    }
}
