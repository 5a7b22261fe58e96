package dev.portcullis.agent.route;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileRouteSinkTest {

    @TempDir
    Path dir;

    @Test
    void publishedRoutesSurviveARestartAndWithdrawnOnesDoNot() {
        Path file = dir.resolve("routes.json");
        FileRouteSink sink = new FileRouteSink(file);
        sink.publish(new Route("ws1", "10.213.0.1", "host-1", "alice", "acme"));
        sink.publish(new Route("ws2", "10.213.0.3", "host-1", "bob", "acme"));
        sink.withdraw("ws1");

        FileRouteSink reopened = new FileRouteSink(file);

        assertThat(reopened.published()).containsOnlyKeys("ws2");
        assertThat(reopened.published().get("ws2").owner()).isEqualTo("bob");
    }
}
