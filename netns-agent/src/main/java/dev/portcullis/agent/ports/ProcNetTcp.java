package dev.portcullis.agent.ports;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Reads the kernel's socket tables {@code /proc/net/tcp} and {@code /proc/net/tcp6} (seen from inside a
 * namespace) for the sockets in state LISTEN. The format is the kernel's ({@code tcp4_seq_show},
 * {@code tcp6_seq_show}): a header line, then one line per socket whose second field is the local
 * address as hex words in host byte order, a colon, and the port as big-endian hex; the fourth field
 * is the state, {@code 0A} for LISTEN.
 *
 * <p>Hand-written because no library parses these tables; it never throws on what it reads: a line it
 * cannot understand is counted and skipped, so one odd line does not hide every other port.
 */
public final class ProcNetTcp {

    /** {@code TCP_LISTEN} in include/net/tcp_states.h, as the tables print it. */
    private static final String LISTEN = "0A";
    private static final int MAX_LINE = 512;
    /** Marks a socket in another state; compared by identity. */
    private static final Listener NOT_LISTENING = new Listener(InetAddress.getLoopbackAddress(), 1);

    private ProcNetTcp() {}

    /** A listening socket: the local address it is bound to (any-address for all) and its port. */
    public record Listener(InetAddress address, int port) {
        /** Whether a connection from outside the namespace (the gateway) can reach it: not bound to loopback only. */
        public boolean reachableFromOutside() {
            return !address.isLoopbackAddress() && !isMappedLoopback(address);
        }

        private static boolean isMappedLoopback(InetAddress address) {
            byte[] bytes = address.getAddress();
            return bytes.length == 16 && bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff && bytes[12] == 127
                    && allZero(bytes, 0, 10);
        }
    }

    /** What one table held: its listeners, and how many lines were not understood. */
    public record Table(List<Listener> listeners, int unreadableLines) {
        public Table {
            listeners = List.copyOf(listeners);
        }
    }

    /** The ports a gateway could connect to: listeners not bound to loopback only, each port once, sorted. */
    public static SortedSet<Integer> reachablePorts(List<Table> tables) {
        SortedSet<Integer> ports = new TreeSet<>();
        for (Table table : tables) {
            for (Listener listener : table.listeners()) {
                if (listener.reachableFromOutside()) {
                    ports.add(listener.port());
                }
            }
        }
        return ports;
    }

    /**
     * The listening sockets of one table.
     *
     * @param ipv6 whether the text is {@code tcp6} (128-bit addresses) rather than {@code tcp}
     */
    public static Table parse(String text, boolean ipv6) {
        List<Listener> listeners = new ArrayList<>();
        int unreadable = 0;
        boolean header = true;
        for (String line : text.split("\n", -1)) {
            if (header) {
                header = false; // "  sl  local_address rem_address   st ..."
                continue;
            }
            if (line.isBlank()) {
                continue;
            }
            Listener listener = line.length() > MAX_LINE ? null : listener(line.trim(), ipv6);
            if (listener == NOT_LISTENING) {
                continue;
            }
            if (listener == null) {
                unreadable++;
            } else {
                listeners.add(listener);
            }
        }
        return new Table(listeners, unreadable);
    }

    /** The listener on this line, {@link #NOT_LISTENING} for a socket in another state, null for a line not understood. */
    private static Listener listener(String line, boolean ipv6) {
        String[] fields = line.split("\\s+", 6);
        if (fields.length < 5 || !fields[0].endsWith(":")) {
            return null;
        }
        String state = fields[3];
        if (state.length() != 2 || !isHex(state)) {
            return null;
        }
        if (!state.equalsIgnoreCase(LISTEN)) {
            return NOT_LISTENING;
        }
        String local = fields[1];
        int colon = local.indexOf(':');
        int addressDigits = ipv6 ? 32 : 8;
        if (colon != addressDigits || local.length() != addressDigits + 5 || !isHex(local.substring(0, colon))
                || !isHex(local.substring(colon + 1))) {
            return null;
        }
        int port = Integer.parseInt(local.substring(colon + 1), 16);
        if (port == 0) {
            return null; // a listening socket always has a port
        }
        return new Listener(address(local.substring(0, colon)), port);
    }

    /** The kernel prints each 32-bit word of the address as a number in the host's byte order. */
    private static InetAddress address(String hex) {
        byte[] words = HexFormat.of().parseHex(hex);
        ByteBuffer in = ByteBuffer.wrap(words).order(ByteOrder.BIG_ENDIAN);
        ByteBuffer out = ByteBuffer.allocate(words.length).order(ByteOrder.nativeOrder());
        while (in.hasRemaining()) {
            out.putInt(in.getInt());
        }
        try {
            return InetAddress.getByAddress(out.array()); // 4 or 16 bytes: never a name lookup
        } catch (UnknownHostException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    private static boolean isHex(String text) {
        if (text.isEmpty()) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            if (Character.digit(text.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean allZero(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
