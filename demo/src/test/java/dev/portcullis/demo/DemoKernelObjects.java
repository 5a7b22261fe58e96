package dev.portcullis.demo;

import dev.portcullis.agent.kernel.HostSupport;
import dev.portcullis.agent.kernel.ProcessCommandRunner;
import dev.portcullis.demo.workspace.NamespaceWorkspace;
import java.util.List;
import java.util.Optional;

/** What the kernel holds with the demo's names, seen with ip and nft, independently of the demo. */
final class DemoKernelObjects {
    private static final ProcessCommandRunner COMMANDS = new ProcessCommandRunner();

    private DemoKernelObjects() {}

    /** Why a demo here cannot have a network namespace, or empty when it can (root, ip netns add, nft). */
    static Optional<String> whyNoNamespaces() {
        return HostSupport.whatIsMissing(COMMANDS, "pcdemotest-" + ProcessHandle.current().pid());
    }

    static List<String> namespaces() {
        return COMMANDS.run("ip", "netns", "list").stdout().lines().map(l -> l.strip().split(" ", 2)[0])
                .filter(ns -> ns.startsWith(NamespaceWorkspace.NAMESPACE_PREFIX)).toList();
    }

    static List<String> links() {
        return COMMANDS.run("ip", "-o", "link", "show").stdout().lines()
                .map(l -> l.split(":", 3)[1].strip().split("@", 2)[0])
                .filter(name -> name.startsWith(NamespaceWorkspace.INTERFACE_PREFIX)).toList();
    }

    static boolean tableExists() {
        return COMMANDS.run("nft", "list", "table", "inet", NamespaceWorkspace.TABLE).ok();
    }

    /** Processes inside a namespace, by pid. */
    static List<Long> pidsIn(String namespace) {
        return COMMANDS.run("ip", "netns", "pids", namespace).stdout().lines().map(String::strip)
                .filter(l -> !l.isEmpty()).map(Long::parseLong).toList();
    }

    /** Everything the demo ever creates, for a test's clean-up after a failure. */
    static void removeAll() {
        namespaces().forEach(ns -> COMMANDS.run("ip", "netns", "delete", ns));
        links().forEach(link -> COMMANDS.run("ip", "link", "delete", "dev", link));
        COMMANDS.run("nft", "delete", "table", "inet", NamespaceWorkspace.TABLE);
    }
}
