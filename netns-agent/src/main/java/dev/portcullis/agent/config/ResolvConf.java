package dev.portcullis.agent.config;

import dev.portcullis.agent.address.Ipv4Cidr;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The host's DNS resolvers, read from resolv.conf: the default of {@code dnsResolvers}, so that the
 * default {@code blockedDestinations} (all private ranges) do not cut workspaces off from DNS when
 * the resolver sits in one of them. Loopback resolvers (systemd-resolved's 127.0.0.53) are left out:
 * a workspace cannot reach the host's loopback; serve DNS on the host end instead (hostServices).
 * Hand-written because resolv.conf is a few "nameserver A" lines and no library on our path reads it.
 */
public final class ResolvConf {

    public static final Path FILE = Path.of("/etc/resolv.conf");

    private ResolvConf() {}

    /** The IPv4 nameservers of {@code file}, each a /32; none when the file is missing or unreadable. */
    public static List<Ipv4Cidr> ipv4Nameservers(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            return List.of();
        }
        List<Ipv4Cidr> resolvers = new ArrayList<>();
        for (String line : lines) {
            String[] words = line.strip().split("\\s+");
            if (words.length < 2 || !words[0].equals("nameserver") || !words[1].matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) {
                continue; // comments, search, options, IPv6 nameservers
            }
            try {
                Ipv4Cidr resolver = Ipv4Cidr.parse(words[1] + "/32");
                if (!resolver.network().toString().startsWith("127.") && !resolvers.contains(resolver)) {
                    resolvers.add(resolver);
                }
            } catch (IllegalArgumentException e) {
                // 999.1.1.1: not an address, nothing to allow
            }
        }
        return resolvers;
    }
}
