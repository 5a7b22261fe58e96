package dev.portcullis.agent.config;

import dev.portcullis.agent.address.Ipv4Cidr;
import dev.portcullis.agent.address.Ipv6Cidr;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The host's DNS resolvers, read from resolv.conf: the default of {@code dnsResolvers}, so that the
 * default {@code blockedDestinations} (all private ranges, and all of fc00::/7 in IPv6) do not cut
 * workspaces off from DNS when the resolver sits in one of them. Loopback resolvers (systemd-resolved's
 * 127.0.0.53, ::1) are left out: a workspace cannot reach the host's loopback; serve DNS on the host
 * end instead (hostServices). So are link-local IPv6 ones (fe80::…%eth0): they are only valid on
 * one link, and a workspace's packets to them are never forwarded.
 * Hand-written because resolv.conf is a few "nameserver A" lines and no library on our path reads it.
 */
public final class ResolvConf {

    public static final Path FILE = Path.of("/etc/resolv.conf");
    private static final Ipv6Cidr LINK_LOCAL = Ipv6Cidr.parse("fe80::/10");
    private static final Ipv6Cidr LOOPBACK = Ipv6Cidr.parse("::1/128");

    private ResolvConf() {}

    /** The IPv4 nameservers of {@code file}, each a /32; none when the file is missing or unreadable. */
    public static List<Ipv4Cidr> ipv4Nameservers(Path file) {
        return nameservers(file, address -> {
            if (!address.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) {
                return null; // IPv6
            }
            Ipv4Cidr resolver = Ipv4Cidr.parse(address + "/32");
            return resolver.network().toString().startsWith("127.") ? null : resolver;
        });
    }

    /** The IPv6 nameservers of {@code file}, each a /128, without loopback and link-local ones. */
    public static List<Ipv6Cidr> ipv6Nameservers(Path file) {
        return nameservers(file, address -> {
            if (!address.contains(":") || address.contains("%")) {
                return null; // IPv4, or scoped to one link
            }
            Ipv6Cidr resolver = Ipv6Cidr.parse(address + "/128");
            return resolver.overlaps(LINK_LOCAL) || resolver.equals(LOOPBACK) ? null : resolver;
        });
    }

    /** {@code parse} gives null for an address of the other family or one a workspace cannot reach. */
    private static <T> List<T> nameservers(Path file, Function<String, T> parse) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            return List.of();
        }
        List<T> resolvers = new ArrayList<>();
        for (String line : lines) {
            String[] words = line.strip().split("\\s+");
            if (words.length < 2 || !words[0].equals("nameserver")) {
                continue; // comments, search, options
            }
            try {
                T resolver = parse.apply(words[1]);
                if (resolver != null && !resolvers.contains(resolver)) {
                    resolvers.add(resolver);
                }
            } catch (IllegalArgumentException e) {
                // 999.1.1.1, fd00::zz: not an address, nothing to allow
            }
        }
        return resolvers;
    }
}
