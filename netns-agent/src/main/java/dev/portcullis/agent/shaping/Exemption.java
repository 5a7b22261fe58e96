package dev.portcullis.agent.shaping;

import static java.util.Objects.requireNonNull;

import dev.portcullis.agent.address.Ipv4Cidr;
import java.util.List;

/**
 * The packets a link's limit does not hold: those to (or from) these networks. They go to HTB's
 * direct queue, which no class limits. Used for the gateways: what a workspace sends to the gateway
 * that serves its IDE, and what that gateway sends to it, is shared fairly by the gateway itself.
 */
public record Exemption(Side side, List<Ipv4Cidr> networks) {

    /** Which address of the packet is matched. */
    public enum Side {
        DESTINATION("dst", 16),
        SOURCE("src", 12);

        final String word;
        /** Where the address sits in the IPv4 header, as u32 prints it ("at 16"). */
        final int offset;

        Side(String word, int offset) {
            this.word = word;
            this.offset = offset;
        }
    }

    public static final Exemption NONE = new Exemption(Side.DESTINATION, List.of());

    public Exemption {
        requireNonNull(side, "side");
        networks = List.copyOf(networks);
    }

    public static Exemption to(List<Ipv4Cidr> networks) {
        return new Exemption(Side.DESTINATION, networks);
    }

    public static Exemption from(List<Ipv4Cidr> networks) {
        return new Exemption(Side.SOURCE, networks);
    }

    /** As {@link EgressShaper#current} and {@link EgressShaper#expected} spell it: " unshaped dst a/32 b/24", sorted. */
    String describe() {
        return describe(side, networks.stream().map(Ipv4Cidr::toString).toList());
    }

    static String describe(Side side, List<String> networks) {
        return networks.isEmpty() ? "" : " unshaped " + side.word + " " + String.join(" ", networks.stream().sorted().toList());
    }
}
