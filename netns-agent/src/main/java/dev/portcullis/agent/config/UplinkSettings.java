package dev.portcullis.agent.config;

import static java.util.Objects.requireNonNull;

import dev.portcullis.config.InvalidKeyException;
import java.util.regex.Pattern;

/**
 * The host's uplink, shared between workspaces by weight: the config's {@code uplink:} section.
 * The agent puts an HTB tree at {@code rateMbit} on {@code interfaceName} and gives every workspace
 * a class of its own (see {@code shaping/UplinkShaper}); the host's own traffic shares it with
 * {@code hostWeight}.
 *
 * @param rateMbit what the uplink really carries, or a little less: HTB only shares when it holds
 *     the queue, so a rate above the link's leaves the queue (and the sharing) to the NIC
 */
public record UplinkSettings(String interfaceName, int rateMbit, int hostWeight) {

    public static final int DEFAULT_HOST_WEIGHT = 1;
    /** Linux link names: up to 15 characters; these are the ones that need no quoting in tc, ip and nft. */
    private static final Pattern LINK_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,14}");

    public UplinkSettings {
        requireNonNull(interfaceName, "interfaceName");
        if (!LINK_NAME.matcher(interfaceName).matches()) {
            throw new InvalidKeyException("uplink.interface", "'" + interfaceName + "' (expected: a link name of 1-15"
                    + " characters of A-Z, a-z, 0-9 and _.-, starting with a letter or digit, e.g. eth0)");
        }
        if (rateMbit < 1 || rateMbit > 100_000) {
            throw new InvalidKeyException("uplink.rateMbit", rateMbit + " (expected: 1-100000, the uplink's real rate in Mbit/s)");
        }
        if (hostWeight < 1 || hostWeight > 100) {
            throw new InvalidKeyException("uplink.hostWeight", hostWeight
                    + " (expected: 1-100, the weight of the host's own traffic next to the workspaces')");
        }
    }

    public UplinkSettings(String interfaceName, int rateMbit) {
        this(interfaceName, rateMbit, DEFAULT_HOST_WEIGHT);
    }
}
