package dev.portcullis.agent.kernel.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.agent.kernel.ProcessCommandRunner;
import dev.portcullis.agent.testing.RootNetworking;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The netlink layer against the real kernel: a namespace this test creates (as `ip netns add` would),
 * a veth pair into it, addresses of both families, routes, an HTB tree with u32 filters; each read
 * back both through the agent's own dumps and through iproute2, and the kernel's refusals (EEXIST,
 * ENODEV, ENOENT, a bad name) as exceptions that name the operation and the object.
 */
class NetlinkKernelTest {

    private final ProcessCommandRunner commands = new ProcessCommandRunner();
    private final String tag = "pcnl" + Long.toString(ProcessHandle.current().pid(), 36);
    private final String namespace = tag + "-ns";
    private final String hostLink = tag + "h";

    @BeforeEach
    void needsRoot() {
        RootNetworking.assumeAvailable();
    }

    @AfterEach
    void removeWhatThisTestMade() {
        commands.run("ip", "link", "delete", "dev", hostLink);
        commands.run("ip", "netns", "delete", namespace);
        commands.close();
    }

    @Test
    void aNamespaceMadeOverNetlinkIsOneIpSeesAndDeletes() {
        try (NetlinkSocket inside = NetworkNamespaces.create(namespace)) {
            assertThat(NetworkNamespaces.exists(namespace)).isTrue();
            assertThat(NetworkNamespaces.list()).contains(namespace);
            assertThat(commands.check("ip", "netns", "list").stdout()).contains(namespace);
            // The socket talks to the new namespace: it has only its own loopback.
            assertThat(new Links(inside).links()).extracting(Links.Link::name).containsExactly("lo");
        }
        assertThatThrownBy(() -> NetworkNamespaces.create(namespace)).isInstanceOf(NetlinkException.class)
                .hasMessageContaining("create network namespace " + namespace).hasMessageContaining("EEXIST")
                .satisfies(e -> assertThat(((NetlinkException) e).errno()).isEqualTo(17));

        NetworkNamespaces.delete(namespace);

        assertThat(NetworkNamespaces.exists(namespace)).isFalse();
        assertThat(commands.check("ip", "netns", "list").stdout()).doesNotContain(namespace);
        assertThatThrownBy(() -> NetworkNamespaces.delete(namespace)).isInstanceOf(NetlinkException.class)
                .hasMessageContaining("delete network namespace " + namespace).hasMessageContaining("ENOENT");
        assertThatThrownBy(() -> NetworkNamespaces.open(namespace)).isInstanceOf(NetlinkException.class)
                .hasMessageContaining("enter network namespace " + namespace).hasMessageContaining("ENOENT");
    }

    /**
     * The namespace workers go back to the host's namespace after each task: after making and
     * entering namespaces, every worker (more tasks at once than there are workers) finds itself in
     * the namespace of this test's own thread.
     */
    @Test
    void namespaceWorkersAreBackInTheHostsNamespaceAfterEachTask() throws Exception {
        String host = java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/thread-self/ns/net")).toString();
        try (NetlinkSocket inside = NetworkNamespaces.create(namespace)) {
            for (int i = 0; i < 10; i++) {
                NetworkNamespaces.open(namespace).close();
            }
        }
        var start = new java.util.concurrent.CountDownLatch(1);
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(16)) {
            List<java.util.concurrent.Future<String>> seen = new java.util.ArrayList<>();
            for (int i = 0; i < 16; i++) {
                seen.add(pool.submit(() -> {
                    start.await();
                    return NetworkNamespaces.onWorker("look where the worker is", () -> {
                        try {
                            return java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/thread-self/ns/net")).toString();
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
                }));
            }
            start.countDown();
            for (var one : seen) {
                assertThat(one.get(20, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(host);
            }
        }
    }

    /**
     * Host sockets are lent and given back, not opened per use: callers at once get sockets of their
     * own, a socket given back is lent again (a pool keeps up to its capacity idle), and one given
     * back or closed refuses to be used by whoever still holds it. A lent socket talks to the host's
     * namespace, as one opened here does. On a pool of the test's own, which nothing else in this
     * JVM (an agent of another test still refilling spares) can lend from meanwhile.
     */
    @Test
    void hostSocketsAreLentAndGivenBack() {
        java.util.concurrent.BlockingQueue<NetlinkSocket> pool = new java.util.concurrent.ArrayBlockingQueue<>(32);
        List<NetlinkSocket> lent = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) {
            lent.add(NetlinkSocket.lend(pool, NetlinkSocket.NETLINK_ROUTE));
        }
        assertThat(new java.util.HashSet<>(lent)).hasSize(40);
        try (NetlinkSocket opened = NetlinkSocket.open("the host")) {
            assertThat(new Links(lent.get(0)).links()).extracting(Links.Link::name)
                    .containsExactlyInAnyOrderElementsOf(new Links(opened).links().stream().map(Links.Link::name).toList());
        }
        lent.forEach(NetlinkSocket::close);
        lent.get(0).close(); // twice: still given back once
        assertThat(pool).hasSize(32).containsExactlyElementsOf(lent.subList(0, 32));

        List<NetlinkSocket> again = new java.util.ArrayList<>();
        for (int i = 0; i < 32; i++) {
            again.add(NetlinkSocket.lend(pool, NetlinkSocket.NETLINK_ROUTE));
        }
        assertThat(again).containsExactlyElementsOf(lent.subList(0, 32));
        assertThat(new Links(again.get(5)).links()).isNotEmpty(); // lent again: usable
        assertThatThrownBy(() -> new Links(lent.get(39)).links()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is closed"); // the pool was full when it came back
        NetlinkSocket givenBack = again.remove(0);
        givenBack.close();
        assertThatThrownBy(() -> new Links(givenBack).links()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is given back");
        again.forEach(NetlinkSocket::close); // back in the test's pool: open until this JVM ends, as the agent's are
    }

    /**
     * The pool holds host sockets only: a thread inside a workspace's namespace that asks for one
     * when none is idle would open a socket of that namespace, and every later create would then
     * change the workspace's network where it meant the host's. It is refused, names where it is,
     * and the pool stays as it was; from the host the same pool lends a socket that sees the host.
     */
    @Test
    void aThreadInsideANamespaceCannotOpenAHostSocket() {
        java.util.concurrent.BlockingQueue<NetlinkSocket> pool = new java.util.concurrent.ArrayBlockingQueue<>(4);
        try (NetlinkSocket inside = NetworkNamespaces.create(namespace)) {
            assertThatThrownBy(() -> NetworkNamespaces.inside(namespace, "lend a host socket",
                    () -> NetlinkSocket.lend(pool, NetlinkSocket.NETLINK_ROUTE)))
                    .isInstanceOf(NetlinkException.class)
                    .hasMessageContaining("open a netlink socket in the host")
                    .hasMessageContaining("not in the host's network namespace");
            assertThat(pool).isEmpty();

            NetlinkSocket lent = NetlinkSocket.lend(pool, NetlinkSocket.NETLINK_ROUTE);
            try (NetlinkSocket opened = NetlinkSocket.open("the host")) {
                assertThat(new Links(lent).links()).extracting(Links.Link::name)
                        .containsExactlyInAnyOrderElementsOf(new Links(opened).links().stream().map(Links.Link::name).toList());
            }
            lent.close();
            assertThat(pool).containsExactly(lent);
        }
    }

    @Test
    void aVethPairWithAddressesRoutesAndLinksUpReadsBackTheSameThroughIp() {
        try (NetlinkSocket inside = NetworkNamespaces.create(namespace);
                NetlinkSocket host = NetlinkSocket.open("the host")) {
            Links hostLinks = new Links(host);
            Links workspaceLinks = new Links(inside);
            hostLinks.addVethPair(hostLink, "eth0", namespace);
            int hostIndex = hostLinks.requireIndex(hostLink);
            int eth0 = workspaceLinks.requireIndex("eth0");
            assertThat(hostLinks.index("eth0").filter(i -> i == eth0)).as("the peer is born inside, never on the host")
                    .isEmpty();

            hostLinks.replaceAddress(hostIndex, hostLink, "10.219.7.0", 31, false);
            hostLinks.replaceAddress(hostIndex, hostLink, "fd5e:7a31:c0de:77::2", 127, true);
            hostLinks.setUp(hostIndex, hostLink);
            workspaceLinks.replaceAddress(eth0, "eth0", "10.219.7.1", 31, false);
            workspaceLinks.replaceAddress(eth0, "eth0", "10.219.7.1", 31, false); // replace: repeating is fine
            workspaceLinks.replaceAddress(eth0, "eth0", "fd5e:7a31:c0de:77::3", 127, true);
            workspaceLinks.setUp(workspaceLinks.requireIndex("lo"), "lo");
            workspaceLinks.setUp(eth0, "eth0");
            workspaceLinks.replaceDefaultRoute("10.219.7.0", eth0, "eth0");
            workspaceLinks.replaceDefaultRoute("fd5e:7a31:c0de:77::2", eth0, "eth0");

            assertThat(hostLinks.links()).filteredOn(l -> l.name().equals(hostLink)).singleElement()
                    .satisfies(l -> assertThat(l.kind()).isEqualTo("veth")).satisfies(l -> assertThat(l.up()).isTrue());
            assertThat(hostLinks.addresses(hostIndex)).extracting(Links.Address::cidr)
                    .contains("10.219.7.0/31", "fd5e:7a31:c0de:77::2/127");
            assertThat(workspaceLinks.addresses(eth0)).extracting(Links.Address::cidr)
                    .contains("10.219.7.1/31", "fd5e:7a31:c0de:77::3/127").doesNotContain("10.219.7.0/31");
            assertThat(workspaceLinks.defaultGateways(eth0)).containsExactlyInAnyOrder("10.219.7.0", "fd5e:7a31:c0de:77::2");

            assertThat(commands.check("ip", "-n", namespace, "addr", "show", "dev", "eth0").stdout())
                    .contains("inet 10.219.7.1/31").contains("inet6 fd5e:7a31:c0de:77::3/127").contains("state UP");
            assertThat(commands.check("ip", "-n", namespace, "route", "show", "default").stdout())
                    .contains("default via 10.219.7.0 dev eth0");
            assertThat(commands.check("ip", "-n", namespace, "-6", "route", "show", "default").stdout())
                    .contains("default via fd5e:7a31:c0de:77::2 dev eth0");

            hostLinks.delete(hostLink);
            assertThat(hostLinks.index(hostLink)).isEmpty();
        }
    }

    /**
     * The host end's IPv4 sysctls set over netlink (no file, no retry on the kernel's network lock), and
     * every per-interface key the agent keeps read back from one link dump, each equal to its file under
     * /proc/sys: the devconf indexes are the kernel's, so a wrong one would show here as a value that
     * does not follow its file.
     */
    @Test
    void perInterfaceSysctlsSetAndReadOverNetlinkAreTheFilesValues() {
        try (NetlinkSocket inside = NetworkNamespaces.create(namespace);
                NetlinkSocket host = NetlinkSocket.open("the host")) {
            Links hostLinks = new Links(host);
            hostLinks.addVethPair(hostLink, "eth0", namespace);
            int index = hostLinks.requireIndex(hostLink);
            String conf4 = "/proc/sys/net/ipv4/conf/" + hostLink + "/";
            String conf6 = "/proc/sys/net/ipv6/conf/" + hostLink + "/";

            for (int value : new int[] {1, 0}) {
                hostLinks.setIpv4Conf(index, hostLink, java.util.Map.of(DeviceConf.IPV4_FORWARDING, value,
                        DeviceConf.IPV4_RP_FILTER, value == 1 ? 1 : 2));
                assertThat(commands.check("cat", conf4 + "forwarding").stdout().strip()).isEqualTo(String.valueOf(value));
                assertThat(commands.check("cat", conf4 + "rp_filter").stdout().strip()).isEqualTo(value == 1 ? "1" : "2");
                // Flip the IPv6 keys through their files, both ways, and the dump must follow each.
                for (String key : List.of("disable_ipv6", "forwarding", "accept_ra", "accept_redirects", "force_forwarding")) {
                    if (java.nio.file.Files.exists(java.nio.file.Path.of(conf6 + key))) {
                        commands.check("sh", "-c", "echo " + (key.equals("accept_ra") ? 2 * value : value) + " > " + conf6 + key);
                    }
                }
                DeviceConf conf = hostLinks.links().stream().filter(l -> l.index() == index).findFirst().orElseThrow().conf();
                assertThat(hostLinks.conf(hostLink)).hasValueSatisfying(single -> assertThat(single.value(
                        "net.ipv4.conf." + hostLink + ".rp_filter")).isEqualTo(conf.value("net.ipv4.conf." + hostLink + ".rp_filter")));
                for (String file : List.of(conf4 + "forwarding", conf4 + "rp_filter", conf6 + "disable_ipv6",
                        conf6 + "forwarding", conf6 + "accept_ra", conf6 + "accept_redirects", conf6 + "force_forwarding")) {
                    String key = file.substring("/proc/sys/".length()).replace('/', '.');
                    if (!java.nio.file.Files.exists(java.nio.file.Path.of(file))) {
                        continue; // force_forwarding before 6.17
                    }
                    assertThat(conf.value(key)).as(key).hasValue(Integer.parseInt(commands.check("cat", file).stdout().strip()));
                }
            }
            assertThat(hostLinks.conf(hostLink + "x")).isEmpty();
        }
    }

    /** Sysctls given to create are set inside the new namespace (only there), before any link of its own. */
    @Test
    void aNamespaceMadeWithSysctlsHasThemAndALinkMadeLaterInheritsTheDefaults() {
        String hostRpFilter = commands.check("cat", "/proc/sys/net/ipv4/conf/all/rp_filter").stdout().strip();
        String hostDisable = commands.check("cat", "/proc/sys/net/ipv6/conf/default/disable_ipv6").stdout().strip();
        String wantedRp = hostRpFilter.equals("1") ? "2" : "1";
        String wantedDisable = hostDisable.equals("1") ? "0" : "1";
        try (NetlinkSocket inside = NetworkNamespaces.create(namespace, java.util.Map.of(
                "net.ipv4.conf.all.rp_filter", wantedRp, "net.ipv6.conf.default.disable_ipv6", wantedDisable,
                "net.ipv6.conf.all.no_such_key_here", "1"));
                NetlinkSocket host = NetlinkSocket.open("the host")) {
            new Links(host).addVethPair(hostLink, "eth0", namespace);
            assertThat(commands.check("ip", "netns", "exec", namespace, "cat", "/proc/sys/net/ipv4/conf/all/rp_filter",
                    "/proc/sys/net/ipv6/conf/eth0/disable_ipv6").stdout().split("\\s+"))
                    .containsExactly(wantedRp, wantedDisable);
        }
        assertThat(commands.check("cat", "/proc/sys/net/ipv4/conf/all/rp_filter").stdout().strip()).isEqualTo(hostRpFilter);
        assertThat(commands.check("cat", "/proc/sys/net/ipv6/conf/default/disable_ipv6").stdout().strip()).isEqualTo(hostDisable);
        assertThatThrownBy(() -> NetworkNamespaces.create(namespace + "x", java.util.Map.of("kernel.panic", "1")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("kernel.panic=1");
        assertThat(NetworkNamespaces.exists(namespace + "x")).isFalse();
    }

    @Test
    void anHtbTreeWithU32FiltersReadsBackAsTcShowsIt() {
        try (NetlinkSocket inside = NetworkNamespaces.create(namespace)) {
            Links links = new Links(inside);
            int lo = links.requireIndex("lo");
            TrafficControl tc = new TrafficControl(inside);
            tc.addHtbRoot(lo, "lo", 1, 0x10);
            tc.replaceHtbClass(lo, "lo", 0x10000, 0x10010, 100_000_000 / 8, 100_000_000 / 8);
            tc.replaceHtbClass(lo, "lo", 0x10000, 0x10010, 250_000_000 / 8, 250_000_000 / 8); // changed in place
            tc.replacePfifo(lo, "lo", 0x10010, 0x100000, 1000);
            tc.addU32Filter(lo, "lo", 0x10000, TrafficControl.ETH_P_IP, 1,
                    List.of(new TrafficControl.U32Key(0x0a000005, 0xffffffff, 16)), 0x10000);
            tc.addU32Filter(lo, "lo", 0x10000, TrafficControl.ETH_P_IPV6, 2, List.of(
                    new TrafficControl.U32Key(0xfd000000, 0xffffffff, 24), new TrafficControl.U32Key(0x1, 0xffffffff, 28)),
                    0x10000);

            assertThat(tc.root(lo)).hasValueSatisfying(root -> {
                assertThat(root.kind()).isEqualTo("htb");
                assertThat(root.handle()).isEqualTo(0x10000);
                assertThat(root.htbDefaultClass()).isEqualTo(0x10);
            });
            assertThat(tc.htbClasses(lo, "lo")).singleElement().satisfies(c -> {
                assertThat(c.classId()).isEqualTo(0x10010);
                assertThat(c.rateBytes()).isEqualTo(250_000_000 / 8);
                assertThat(c.ceilBytes()).isEqualTo(250_000_000 / 8);
            });
            assertThat(tc.filters(lo, "lo", 0x10000)).filteredOn(f -> !f.hashTable())
                    .extracting(f -> f.protocol() + " " + f.priority() + " " + Integer.toHexString(f.classId()) + " " + f.keys())
                    .containsExactlyInAnyOrder(
                            "2048 1 10000 [U32Key[value=167772165, mask=-1, offset=16]]",
                            "34525 2 10000 [U32Key[value=-50331648, mask=-1, offset=24], U32Key[value=1, mask=-1, offset=28]]");
            String shown = commands.check("tc", "-n", namespace, "class", "show", "dev", "lo").stdout();
            assertThat(shown).contains("class htb 1:10 root leaf 10: prio 0 rate 250Mbit ceil 250Mbit");
            assertThat(commands.check("tc", "-n", namespace, "filter", "show", "dev", "lo", "parent", "1:").stdout())
                    .contains("match 0a000005/ffffffff at 16").contains("match fd000000/ffffffff at 24")
                    .contains("flowid 1:");

            assertThatThrownBy(() -> tc.addHtbRoot(lo, "lo", 1, 0x10)).isInstanceOf(NetlinkException.class)
                    .hasMessageContaining("add HTB root 1: on lo in namespace " + namespace)
                    .hasMessageContaining("EEXIST");
            tc.deleteFilters(lo, "lo", 0x10000);
            tc.deleteFilters(lo, "lo", 0x10000); // none left: still fine
            assertThat(tc.filters(lo, "lo", 0x10000)).isEmpty();
            tc.deleteRoot(lo, "lo");
            assertThat(tc.root(lo)).map(TrafficControl.Qdisc::kind).isNotEqualTo(java.util.Optional.of("htb"));
            assertThatThrownBy(() -> tc.deleteRoot(lo, "lo")).isInstanceOf(NetlinkException.class)
                    .hasMessageContaining("delete the root qdisc of lo");
        }
    }

    @Test
    void theKernelsRefusalsNameTheOperationTheObjectAndTheErrno() {
        try (NetlinkSocket inside = NetworkNamespaces.create(namespace);
                NetlinkSocket host = NetlinkSocket.open("the host")) {
            Links links = new Links(inside);
            assertThatThrownBy(() -> links.requireIndex("nosuchlink0"))
                    .isInstanceOf(NetlinkException.class)
                    .hasMessageStartingWith("look up link nosuchlink0 in namespace " + namespace + ": ENODEV");
            assertThatThrownBy(() -> links.setUp(999_999, "ghost0"))
                    .isInstanceOf(NetlinkException.class)
                    .hasMessageStartingWith("set link ghost0 up in namespace " + namespace + ": ENODEV")
                    .satisfies(e -> assertThat(((NetlinkException) e).errno()).isEqualTo(19));
            assertThatThrownBy(() -> links.delete("ghost0"))
                    .isInstanceOf(NetlinkException.class).hasMessageContaining("delete link ghost0");
            // A route through a gateway no link reaches: the kernel explains itself in the extended ack.
            int lo = links.requireIndex("lo");
            assertThatThrownBy(() -> links.replaceDefaultRoute("10.219.9.1", lo, "lo"))
                    .isInstanceOf(NetlinkException.class)
                    .hasMessageContaining("set default route via 10.219.9.1 dev lo in namespace " + namespace)
                    .hasMessageContaining("kernel says: ");

            new Links(host).addVethPair(hostLink, "eth0", namespace);
            assertThatThrownBy(() -> new Links(host).addVethPair(hostLink, "eth1", namespace))
                    .isInstanceOf(NetlinkException.class)
                    .hasMessageStartingWith("add veth pair " + hostLink + " (peer eth1 in namespace " + namespace
                            + ") in the host: EEXIST");
            assertThat(links.index("eth1")).as("a refused pair leaves no peer behind").isEmpty();

            assertThatThrownBy(() -> links.requireIndex("a name far too long for a link"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("link name: 'a name far too long for a link' (expected: 1 to 15");
            assertThatThrownBy(() -> NetworkNamespaces.create("../etc"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("network namespace name: '../etc'");
            assertThatThrownBy(() -> links.replaceAddress(lo, "lo", "not-an-address", 32, false))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'not-an-address'");
        }
    }
}
