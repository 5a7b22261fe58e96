package dev.portcullis.agent.shaping;

import static java.util.Objects.requireNonNull;

import dev.portcullis.agent.address.Ipv4Cidr;
import dev.portcullis.agent.address.Ipv6Cidr;
import java.util.List;
import java.util.stream.Stream;

/**
 * The packets a link's limit does not hold: those to (or from) these networks, of either family.
 * They go to HTB's direct queue, which no class limits. Used for the gateways: what a workspace
 * sends to the gateway that serves its IDE, and what that gateway sends to it, is shared fairly by
 * the gateway itself.
 */
public record Exemption(Side side, List<Ipv4Cidr> networks, List<Ipv6Cidr> ipv6Networks) {

    /** Which address of the packet is matched. */
    public enum Side {
        DESTINATION("dst", 16, 24),
        SOURCE("src", 12, 8);

        final String word;
        /** Where the address sits in the IPv4 header, as u32 prints it ("at 16"). */
        final int offset;
        /** Where it starts in the IPv6 header: four 32-bit words from here. */
        final int ipv6Offset;

        Side(String word, int offset, int ipv6Offset) {
            this.word = word;
            this.offset = offset;
            this.ipv6Offset = ipv6Offset;
        }
    }

    public static final Exemption NONE = new Exemption(Side.DESTINATION, List.of(), List.of());

    public Exemption {
        requireNonNull(side, "side");
        networks = List.copyOf(networks);
        ipv6Networks = List.copyOf(ipv6Networks);
    }

    public static Exemption to(List<Ipv4Cidr> networks, List<Ipv6Cidr> ipv6Networks) {
        return new Exemption(Side.DESTINATION, networks, ipv6Networks);
    }

    public static Exemption from(List<Ipv4Cidr> networks, List<Ipv6Cidr> ipv6Networks) {
        return new Exemption(Side.SOURCE, networks, ipv6Networks);
    }

    /**
     * As {@link EgressShaper#current} and {@link EgressShaper#expected} spell it:
     * " unshaped dst a/32 b/24 fd00::2/128", sorted.
     */
    String describe() {
        return describe(side, Stream.concat(networks.stream().map(Ipv4Cidr::toString),
                ipv6Networks.stream().map(Ipv6Cidr::toString)).toList());
    }

    static String describe(Side side, List<String> networks) {
        return networks.isEmpty() ? "" : " unshaped " + side.word + " " + String.join(" ", networks.stream().sorted().toList());
    }
}
