package dev.portcullis.agent.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.portcullis.config.InvalidKeyException;

/** The config's {@code uplink:} section: {@code {interface: eth0, rateMbit: 1000, hostWeight: 1}}. */
@SuppressWarnings("unused") // fields are filled in by Jackson
final class UplinkSection {
    @JsonProperty("interface")
    public String interfaceName;
    public Integer rateMbit;
    public Integer hostWeight;

    /**
     * The settings.
     *
     * @throws InvalidKeyException naming the key that is missing or refused
     */
    UplinkSettings toSettings() {
        if (interfaceName == null) {
            throw new InvalidKeyException("uplink.interface", "missing (expected: the link to the internet, e.g. eth0)");
        }
        if (rateMbit == null) {
            throw new InvalidKeyException("uplink.rateMbit", "missing (expected: the uplink's real rate in Mbit/s, 1-100000)");
        }
        return new UplinkSettings(interfaceName, rateMbit,
                hostWeight == null ? UplinkSettings.DEFAULT_HOST_WEIGHT : hostWeight);
    }
}
