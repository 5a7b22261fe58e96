package dev.portcullis.agent.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.agent.address.Ipv4Cidr;
import dev.portcullis.agent.address.Ipv6Cidr;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResolvConfTest {

    @TempDir
    Path dir;

    @Test
    void readsTheIpv4NameserversThatAWorkspaceCanReach() throws Exception {
        Path file = dir.resolve("resolv.conf");
        Files.writeString(file, """
                # generated
                search example.internal
                nameserver 127.0.0.53
                nameserver 10.0.0.2
                nameserver fd00::53
                nameserver 10.0.0.2
                nameserver 169.254.169.253
                options edns0
                """);

        assertThat(ResolvConf.ipv4Nameservers(file))
                .containsExactly(Ipv4Cidr.parse("10.0.0.2/32"), Ipv4Cidr.parse("169.254.169.253/32"));
    }

    @Test
    void readsTheIpv6NameserversThatAWorkspaceCanReach() throws Exception {
        Path file = dir.resolve("resolv.conf");
        Files.writeString(file, """
                nameserver 10.0.0.2
                nameserver fd00:ec2::253
                nameserver ::1
                nameserver fe80::1%eth0
                nameserver fe80::2
                nameserver 2001:db8::53
                nameserver fd00:ec2::253
                nameserver fd00::zz
                """);

        assertThat(ResolvConf.ipv6Nameservers(file))
                .containsExactly(Ipv6Cidr.parse("fd00:ec2::253/128"), Ipv6Cidr.parse("2001:db8::53/128"));
    }

    @Test
    void aMissingFileMeansNoResolvers() {
        assertThat(ResolvConf.ipv4Nameservers(dir.resolve("nothing"))).isEmpty();
        assertThat(ResolvConf.ipv6Nameservers(dir.resolve("nothing"))).isEmpty();
    }
}
