package dev.portcullis.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class H2loadResultTest {
    private static final String STDOUT = """
            starting benchmark...
            spawning thread #0: 8 total client(s). Timing-based test with 0s of warm-up time and 10s of main duration for measurements.
            Application protocol: h2

            finished in 10.00s, 31234.50 req/s, 35.20MB/s
            requests: 312345 total, 312353 started, 312345 done, 312340 succeeded, 5 failed, 2 errored, 0 timeout
            status codes: 312340 2xx, 0 3xx, 3 4xx, 0 5xx
            traffic: 35.20MB (36910123) total, 1.23MB (1289000) headers (space savings 95.00%), 30.50MB (31982000) data
                                 min         max         mean         sd        +/- sd
            time for request:      123us     45.60ms      1.23ms       2.34ms    88.00%
            time for connect:     1.23ms      2.34ms      1.50ms       0.50ms    50.00%
            time to 1st byte:     2.34ms      3.45ms      2.80ms       0.40ms    50.00%
            req/s           :    3904.12     3905.00     3904.50        0.30    62.50%
            """;

    @Test
    void readsTheSummaryInMicroseconds() {
        var summary = H2loadResult.summary(STDOUT);

        assertThat(summary).containsEntry("duration_us", "10000000").containsEntry("rps", "31234.50")
                .containsEntry("requests", "312345").containsEntry("failed", "5").containsEntry("errored", "2")
                .containsEntry("non2xx", "3").containsEntry("min_us", "123").containsEntry("max_us", "45600")
                .containsEntry("mean_us", "1230").containsEntry("sd_us", "2340");
    }

    @Test
    void aRunWithoutSummaryIsAnError() {
        assertThatThrownBy(() -> H2loadResult.summary("starting benchmark...\nNo protocol negotiated. Aborting."))
                .hasMessageContaining("finished in");
    }

    @Test
    void percentilesComeFromTheThirdColumnOfTheLog(@TempDir Path dir) throws IOException {
        StringBuilder log = new StringBuilder();
        for (int i = 1000; i >= 1; i--) {
            log.append(1_700_000_000_000_000L + i).append('\t').append(200).append('\t').append(i).append('\n');
        }
        Path file = Files.writeString(dir.resolve("h2load.log"), log);

        assertThat(H2loadResult.percentiles(file)).containsEntry("logged", "1000").containsEntry("p50_us", "500")
                .containsEntry("p90_us", "900").containsEntry("p99_us", "990").containsEntry("p999_us", "999");
    }
}
