package dev.portcullis.agent.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.agent.testing.RootNetworking;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Sysctls inside a namespace, written by a thread of this JVM that entered it: there, and only there. */
class NamespaceThreadTest {

    private static final Path HOST_RP_FILTER = Path.of("/proc/sys/net/ipv4/conf/all/rp_filter");
    private final ProcessCommandRunner commands = new ProcessCommandRunner();
    private final String namespace = "pcnt-" + ProcessHandle.current().pid();
    private final IpRoute ip = new IpRoute(commands);

    @BeforeEach
    void createNamespace() {
        RootNetworking.assumeAvailable();
        commands.check("ip", "netns", "add", namespace);
    }

    @AfterEach
    void deleteNamespace() {
        commands.run("ip", "netns", "delete", namespace);
    }

    @Test
    void theNamespacesSysctlsChangeAndTheHostsDoNot() throws IOException {
        assertThat(NamespaceThread.unavailable()).isEmpty();
        String hostBefore = Files.readString(HOST_RP_FILTER).strip();
        String wanted = hostBefore.equals("2") ? "1" : "2"; // a value the namespace cannot have inherited

        ip.namespaceSysctls(namespace, Map.of("net.ipv4.conf.all.rp_filter", wanted, "net.ipv4.conf.all.no_such_key_here", "1"));

        assertThat(insideNamespace("net/ipv4/conf/all/rp_filter")).isEqualTo(wanted);
        assertThat(Files.readString(HOST_RP_FILTER).strip()).as("the host's own value").isEqualTo(hostBefore);
        assertThat(Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")))
                .as("the calling thread never left the host's namespace")
                .isEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns/net")));
    }

    @Test
    void aMissingNamespaceIsNamedAndNothingIsWritten() throws IOException {
        String hostBefore = Files.readString(HOST_RP_FILTER).strip();
        String other = hostBefore.equals("2") ? "1" : "2";

        assertThatThrownBy(() -> ip.namespaceSysctls(namespace + "-gone", Map.of("net.ipv4.conf.all.rp_filter", other)))
                .isInstanceOf(CommandFailedException.class)
                .hasMessageContaining("/run/netns/" + namespace + "-gone")
                .hasMessageContaining("No such file or directory");
        assertThat(Files.readString(HOST_RP_FILTER).strip()).isEqualTo(hostBefore);
    }

    private String insideNamespace(String file) {
        return commands.check("nsenter", "--net=/run/netns/" + namespace, "cat", "/proc/sys/" + file).stdout().strip();
    }
}
