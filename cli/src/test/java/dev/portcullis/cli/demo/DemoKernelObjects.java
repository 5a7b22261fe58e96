package dev.portcullis.cli.demo;

import dev.portcullis.agent.address.Ipv4Cidr;
import dev.portcullis.agent.kernel.HostSupport;
import dev.portcullis.agent.kernel.ProcessCommandRunner;
import dev.portcullis.demo.workspace.DemoNetworkNames;
import java.util.List;
import java.util.Optional;

/**
 * What the kernel holds with a set of demo names, seen with ip and nft, independently of the demo.
 * The tests' demos run with {@link #TEST}, names no {@code ./portcullis demo} uses, so a test run
 * beside a running demo neither sees nor removes that demo's objects.
 */
final class DemoKernelObjects {
    /** The tests' own names and range (below the demo's 10.213.255.0/24). */
    static final DemoNetworkNames TEST = DemoNetworkNames.of("pctst", Ipv4Cidr.parse("10.213.254.0/24"));
    /** The options that make {@code ./portcullis demo} use {@link #TEST}. */
    static final List<String> TEST_OPTIONS = List.of("--netns-names", TEST.interfacePrefix(), "--netns-range",
            TEST.range().toString());

    private static final ProcessCommandRunner COMMANDS = new ProcessCommandRunner();

    private final DemoNetworkNames names;

    DemoKernelObjects(DemoNetworkNames names) {
        this.names = names;
    }

    /** Why a demo here cannot have a network namespace, or empty when it can (root, ip netns add, nft). */
    static Optional<String> whyNoNamespaces() {
        return HostSupport.whatIsMissing(COMMANDS, TEST.namespacePrefix() + "check-" + ProcessHandle.current().pid());
    }

    List<String> namespaces() {
        return COMMANDS.run("ip", "netns", "list").stdout().lines().map(l -> l.strip().split(" ", 2)[0])
                .filter(ns -> ns.startsWith(names.namespacePrefix())).toList();
    }

    List<String> links() {
        return COMMANDS.run("ip", "-o", "link", "show").stdout().lines()
                .map(l -> l.split(":", 3)[1].strip().split("@", 2)[0])
                .filter(name -> name.startsWith(names.interfacePrefix())).toList();
    }

    boolean tableExists() {
        return COMMANDS.run("nft", "list", "table", "inet", names.table()).ok();
    }

    /** Processes inside a namespace, by pid. */
    static List<Long> pidsIn(String namespace) {
        return COMMANDS.run("ip", "netns", "pids", namespace).stdout().lines().map(String::strip)
                .filter(l -> !l.isEmpty()).map(Long::parseLong).toList();
    }

    /**
     * Everything with these names, for a test's clean-up after a failure. Only ever called with
     * {@link #TEST}: the names the test's own demos used, never another demo's.
     */
    void removeAll() {
        if (names.equals(DemoNetworkNames.DEMO)) {
            throw new IllegalStateException("a test never removes the objects of ./portcullis demo");
        }
        namespaces().forEach(ns -> COMMANDS.run("ip", "netns", "delete", ns));
        links().forEach(link -> COMMANDS.run("ip", "link", "delete", "dev", link));
        COMMANDS.run("nft", "delete", "table", "inet", names.table());
    }
}
