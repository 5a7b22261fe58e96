package dev.portcullis.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AllocationReportTest {

    @Test
    void bytesPerRequestAreMediansPerCaseAndRatiosAreToTheReferenceBuild() {
        List<Map<String, String>> rows = List.of(
                row("1", "current", "1000", "2000000", "3000000", "2", "1.5", "0.9"),
                row("2", "current", "2000", "6000000", "7000000", "4", "3.0", "1.2"),
                row("3", "current", "1000", "1000000", "2000000", "1", "0.5", "0.4"),
                row("1", "old", "1000", "4000000", "6000000", "5", "4.0", "2.5"));

        List<AllocationReport.Summary> summaries = AllocationReport.summarise(rows);

        AllocationReport.Summary current = summaries.get(0);
        assertThat(current.runs()).isEqualTo(3);
        assertThat(current.loopBytesPerRequest()).isEqualTo(2000.0); // of 2000, 3000, 1000
        assertThat(current.totalBytesPerRequest()).isEqualTo(3000.0); // of 3000, 3500, 2000
        assertThat(current.gcPausesPerRun()).isEqualTo(2.0);
        assertThat(current.gcPauseMaxMs()).isEqualTo(1.2); // the longest of all runs, not a median
        assertThat(current.gcPausesPer100kRequests()).isEqualTo(200.0); // of 200, 200, 100
        assertThat(AllocationReport.ratioToReference(summaries, summaries.get(1), "current")).isEqualTo(2.0);
        assertThat(AllocationReport.table(summaries, "current")).contains("old").contains("2.00x");
    }

    @Test
    void aRunWithoutRequestsIsAnError() {
        assertThatThrownBy(() -> AllocationReport.summarise(List.of(row("1", "current", "0", "1", "1", "0", "0", "0"))))
                .hasMessageContaining("completed 0 requests");
    }

    private static Map<String, String> row(String rep, String build, String requests, String loopBytes, String totalBytes,
            String pauses, String pauseMs, String maxMs) {
        return Map.ofEntries(Map.entry("rep", rep), Map.entry("build", build), Map.entry("target", "portcullis-access"),
                Map.entry("load", "http1"), Map.entry("requests", requests), Map.entry("loop_bytes", loopBytes),
                Map.entry("total_bytes", totalBytes), Map.entry("gc_pauses", pauses), Map.entry("gc_pause_total_ms", pauseMs),
                Map.entry("gc_pause_max_ms", maxMs), Map.entry("cpu_us_per_req", "50"));
    }
}
