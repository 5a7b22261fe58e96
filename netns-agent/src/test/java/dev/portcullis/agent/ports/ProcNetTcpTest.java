package dev.portcullis.agent.ports;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The kernel's socket tables as this host prints them, and what a damaged or hostile table does. */
class ProcNetTcpTest {
    private static final String HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";

    /** An IPv4 address as the kernel prints it: the 32-bit word in the host's byte order. */
    private static String v4(int a, int b, int c, int d) {
        int word = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? (d << 24) | (c << 16) | (b << 8) | a
                : (a << 24) | (b << 16) | (c << 8) | d;
        return String.format("%08X", word);
    }

    private static String line(int slot, String local, String state) {
        return String.format("%4d: %s 00000000:0000 %s 00000000:00000000 00:00000000 00000000     0        0 %d 1 0000000049ffab28 100 0 0 10 0%n",
                slot, local, state, 1000 + slot);
    }

    @Test
    void readsListenersAndTheirAddressesAndIgnoresOtherStates() throws Exception {
        String table = HEADER
                + line(0, v4(0, 0, 0, 0) + ":0BB8", "0A") // 0.0.0.0:3000 LISTEN
                + line(1, v4(127, 0, 0, 1) + ":1F90", "0A") // 127.0.0.1:8080 LISTEN, loopback only
                + line(2, v4(10, 213, 178, 2) + ":1F91", "0a") // 10.213.178.2:8081 LISTEN, lower-case hex
                + line(3, v4(10, 213, 178, 2) + ":0BB8", "01"); // an established connection on 3000

        ProcNetTcp.Table parsed = ProcNetTcp.parse(table, false);

        assertThat(parsed.unreadableLines()).isZero();
        assertThat(parsed.listeners()).containsExactly(
                new ProcNetTcp.Listener(InetAddress.getByName("0.0.0.0"), 3000),
                new ProcNetTcp.Listener(InetAddress.getByName("127.0.0.1"), 8080),
                new ProcNetTcp.Listener(InetAddress.getByName("10.213.178.2"), 8081));
        assertThat(ProcNetTcp.reachablePorts(List.of(parsed))).as("not the loopback-only one").containsExactly(3000, 8081);
    }

    @Test
    void readsIpv6ListenersIncludingMappedLoopback() {
        String any = "00000000000000000000000000000000";
        String loopback = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? "00000000000000000000000001000000"
                : "00000000000000000000000000000001";
        String mappedLoopback = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? "0000000000000000FFFF00000100007F"
                : "00000000000000000000FFFF7F000001";
        String table = HEADER + line(0, any + ":1388", "0A") + line(1, loopback + ":1389", "0A")
                + line(2, mappedLoopback + ":138A", "0A");

        ProcNetTcp.Table parsed = ProcNetTcp.parse(table, true);

        assertThat(parsed.listeners()).extracting(ProcNetTcp.Listener::port).containsExactly(5000, 5001, 5002);
        assertThat(ProcNetTcp.reachablePorts(List.of(parsed))).as("[::]:5000 only").containsExactly(5000);
    }

    @Test
    void theSamePortInBothFamiliesIsOnePort() {
        String v4 = HEADER + line(0, v4(0, 0, 0, 0) + ":0BB8", "0A");
        String v6 = HEADER + line(0, "00000000000000000000000000000000:0BB8", "0A");

        assertThat(ProcNetTcp.reachablePorts(List.of(ProcNetTcp.parse(v4, false), ProcNetTcp.parse(v6, true))))
                .containsExactly(3000);
    }

    @Test
    void emptyAndHeaderOnlyTablesHaveNoListeners() {
        assertThat(ProcNetTcp.parse("", false).listeners()).isEmpty();
        assertThat(ProcNetTcp.parse(HEADER, false).listeners()).isEmpty();
        assertThat(ProcNetTcp.parse(HEADER, false).unreadableLines()).isZero();
    }

    @Test
    void linesItCannotReadAreCountedAndSkippedWithoutHidingTheOthers() {
        String good = line(9, v4(0, 0, 0, 0) + ":0BB8", "0A");
        List<String> hostile = List.of(
                "garbage\n",
                "   0: \n",
                "   0: 0100007F:0BB8\n", // too few fields
                line(1, "0100007F0BB8", "0A"), // no colon
                line(2, "0100007G:0BB8", "0A"), // not hex
                line(3, "0100007F:0BB8", "ZZ"), // not a state
                line(4, "0100007F:0BB8", "0A0"), // a state too long
                line(5, "00000000:0000", "0A"), // port 0
                line(6, "0100007F:10000", "0A"), // a port past 16 bits
                line(7, "00000000000000000000000000000000:0BB8", "0A"), // an IPv6 address in the IPv4 table
                line(8, "-1000000:0BB8", "0A"), // a sign
                "   1: " + "A".repeat(100_000) + "\n", // a huge line
                "   1:\t\u0000\u00ff 0A\n"); // control characters and non-ASCII

        ProcNetTcp.Table parsed = ProcNetTcp.parse(HEADER + String.join("", hostile) + good, false);

        assertThat(parsed.unreadableLines()).isEqualTo(hostile.size());
        assertThat(parsed.listeners()).extracting(ProcNetTcp.Listener::port).containsExactly(3000);
    }

    @Test
    void windowsLineEndsAndTrailingSpacesDoNotMatter() {
        String table = HEADER.replace("\n", "\r\n") + line(0, v4(0, 0, 0, 0) + ":0BB8", "0A").replace("\n", "   \r\n");

        assertThat(ProcNetTcp.parse(table, false).listeners()).extracting(ProcNetTcp.Listener::port).containsExactly(3000);
    }
}
