package dev.portcullis.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FairnessPlotTest {
    @TempDir
    Path folder;

    @Test
    void drawsAPngEvenWhenAWorkspaceGotNothing() throws Exception {
        Map<String, Double> fair = new LinkedHashMap<>();
        Map<String, Double> off = new LinkedHashMap<>();
        for (int i = 0; i < 10; i++) {
            fair.put("ws" + i, 2.5);
            off.put("ws" + i, i == 0 ? 330.0 : 0.0);
        }
        Path png = folder.resolve("plots/fairness.png");

        FairnessPlot.write(png, fair, off, 0.999, 0.1);

        byte[] bytes = Files.readAllBytes(png);
        assertThat(bytes).startsWith(0x89, 'P', 'N', 'G');
        assertThat(bytes.length).isGreaterThan(5000);
    }
}
