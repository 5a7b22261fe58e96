package dev.portcullis.agent.nftables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.agent.kernel.Nft;
import dev.portcullis.agent.kernel.ProcessCommandRunner;
import dev.portcullis.agent.kernel.netlink.NetlinkException;
import dev.portcullis.agent.kernel.netlink.NfTables;
import dev.portcullis.agent.testing.RootNetworking;
import dev.portcullis.agent.testing.TestHost;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A workspace's set elements added and deleted over netlink by the agent itself ({@link NfTables})
 * land in the agent's real table exactly as nft would put them: nft lists them back in the plain
 * form the agent renders, for every workspace set and the uplink map; a change is all or nothing;
 * refusals name the set and the table.
 */
class SetElementsOverNetlinkTest {

    private final ProcessCommandRunner commands = new ProcessCommandRunner();
    private TestHost host;

    @AfterEach
    void removeTheTable() {
        if (host != null) {
            host.close();
        }
        commands.close();
    }

    private String loadTable() {
        RootNetworking.assumeAvailable();
        host = new TestHost("10.213.77.0/24");
        Ruleset ruleset = new Ruleset(host.config().build());
        commands.check(List.of("nft", "-f", "-"), ruleset.tableScript(List.of()));
        return host.tableName();
    }

    private Map<String, List<String>> oneWorkspace(String link, String address) {
        Map<String, List<String>> plain = new LinkedHashMap<>();
        plain.put(Ruleset.WS_IFACES, List.of(link));
        plain.put(Ruleset.WS_ADDRS, List.of(address));
        plain.put(Ruleset.WS_BINDINGS, List.of(link + " . " + address));
        plain.put(Ruleset.WS_ADDRS6, List.of("fd3c:9b52:e1a0:20::3"));
        plain.put(Ruleset.WS_BINDINGS6, List.of(link + " . fd3c:9b52:e1a0:20::3"));
        plain.put(Ruleset.WS_UPLINK_CLASSES, List.of(link + " : 7063:1a"));
        return plain;
    }

    private Map<String, List<String>> listed(String table) {
        return new Nft(commands).setElements("inet", table).orElseThrow();
    }

    @Test
    void elementsAddedOverNetlinkAreListedByNftAsTheAgentRendersThem() {
        String table = loadTable();
        Map<String, List<String>> plain = oneWorkspace(host.tag() + "0123456789", "10.213.77.1");

        NfTables.add("inet", table, Ruleset.kernelElements(plain));
        NfTables.add("inet", table, Ruleset.kernelElements(plain)); // again: no change, no error, as nft's add

        Map<String, List<String>> listed = listed(table);
        plain.forEach((set, elements) -> assertThat(listed.get(set)).as(set).containsExactlyElementsOf(elements));

        NfTables.delete("inet", table, Ruleset.kernelElements(plain));

        Map<String, List<String>> after = listed(table);
        plain.keySet().forEach(set -> assertThat(after.get(set)).as(set).isEmpty());
    }

    @Test
    void aDeleteWithOneMissingElementDeletesNothingAndNamesTheSet() {
        String table = loadTable();
        String link = host.tag() + "0123456789";
        Map<String, List<String>> present = oneWorkspace(link, "10.213.77.1");
        NfTables.add("inet", table, Ruleset.kernelElements(present));
        Map<String, List<String>> oneMissing = new LinkedHashMap<>(present);
        oneMissing.put(Ruleset.WS_ADDRS, List.of("10.213.77.1", "10.213.77.3"));

        assertThatThrownBy(() -> NfTables.delete("inet", table, Ruleset.kernelElements(oneMissing)))
                .isInstanceOf(NetlinkException.class)
                .hasMessageContaining("delete 2 elements of ws_addrs in table inet " + table)
                .hasMessageContaining("ENOENT")
                .satisfies(e -> assertThat(((NetlinkException) e).errno()).isEqualTo(2));

        Map<String, List<String>> listed = listed(table);
        present.forEach((set, elements) -> assertThat(listed.get(set)).as("%s: the batch was undone whole", set)
                .containsExactlyElementsOf(elements));
    }

    @Test
    void elementsForATableThatIsMissingAreRefusedWithItsName() {
        String table = loadTable();
        commands.check("nft", "delete", "table", "inet", table);

        assertThatThrownBy(() -> NfTables.add("inet", table,
                Ruleset.kernelElements(Map.of(Ruleset.WS_ADDRS, List.of("10.213.77.5")))))
                .isInstanceOf(NetlinkException.class)
                .hasMessageContaining("add 1 element of ws_addrs in table inet " + table)
                .hasMessageContaining("ENOENT");
    }

    @Test
    void keysArePaddedAsNfTablesRegistersHoldThem() {
        assertThat(NfTables.ifname("pc0")).hasSize(16).startsWith('p', 'c', '0', 0);
        assertThat(NfTables.concat(NfTables.ifname("pc0"), Ruleset.address("10.0.0.1"))).hasSize(20)
                .endsWith(10, 0, 0, 1);
        assertThat(NfTables.concat(new byte[] {1, 2}, new byte[] {3})).containsExactly(1, 2, 0, 0, 3, 0, 0, 0);
        assertThat(Ruleset.address("fd00::1")).hasSize(16).endsWith(0, 1);
    }

    @Test
    void badKeysAreRefusedBeforeAnythingIsSent() {
        assertThatThrownBy(() -> NfTables.ifname("a-name-of-16-chr")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("interface name: 'a-name-of-16-chr' (expected: 1-15 characters)");
        assertThatThrownBy(() -> Ruleset.address("example.com")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("address: 'example.com' (expected: an IPv4 address");
        assertThatThrownBy(() -> NfTables.classId("7063")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("class id: '7063' (expected: major:minor in hex, e.g. 7063:10)");
        assertThatThrownBy(() -> Ruleset.kernelElements(Map.of("gateway_addrs", List.of("10.0.0.0/8"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("set: gateway_addrs (expected: one of");
    }
}
