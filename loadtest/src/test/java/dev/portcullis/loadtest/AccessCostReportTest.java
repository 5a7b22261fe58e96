package dev.portcullis.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AccessCostReportTest {

    @Test
    void theAddedCostIsTheMedianOfThePerRepetitionDifferences() {
        List<Map<String, String>> rows = List.of(
                // repetition 1: both slow (a neighbour), access adds 1 µs on the loop
                row("1", "portcullis", "1000", "50000000", "60000000", "5000000"),
                row("1", "portcullis-access", "1000", "51000000", "62000000", "5500000"),
                // repetition 2: both fast, access adds 0.5 µs
                row("2", "portcullis", "2000", "60000000", "70000000", "10000000"),
                row("2", "portcullis-access", "2000", "61000000", "72000000", "11000000"),
                // repetition 3: access adds 3 µs
                row("3", "portcullis", "1000", "40000000", "45000000", "5000000"),
                row("3", "portcullis-access", "1000", "43000000", "49000000", "5600000"));

        List<AccessCostReport.Summary> summaries = AccessCostReport.summarise(rows);

        assertThat(summaries).hasSize(1);
        AccessCostReport.Summary s = summaries.get(0);
        assertThat(s.repetitions()).isEqualTo(3);
        assertThat(s.openLoopMicros()).isEqualTo(40.0); // of 50, 30, 40
        assertThat(s.loopMicrosAdded()).isEqualTo(1.0); // of 1, 0.5, 3 — not 42.5 - 40 from the medians
        assertThat(s.allMicrosAdded()).isEqualTo(2.0); // of 2, 1, 4
        assertThat(s.bytesAdded()).isEqualTo(500.0); // of 500, 500, 600
        assertThat(s.loopUserMicrosAdded()).isEqualTo(0.5); // of 0.5, 0.25, 1.5
        assertThat(AccessCostReport.table(summaries, "current"))
                .contains("adds 1.00 µs of CPU per request on the event loop (0.50 µs of it user time")
                .contains("<= 1.0 µs: met");
    }

    @Test
    void aCostAboveTheGoalIsMissed() {
        List<AccessCostReport.Summary> summaries = AccessCostReport.summarise(List.of(
                row("1", "portcullis", "1000", "40000000", "40000000", "5000000"),
                row("1", "portcullis-access", "1000", "52000000", "52000000", "6600000")));

        assertThat(summaries.get(0).loopMicrosAdded()).isEqualTo(12.0);
        assertThat(summaries.get(0).loopUserMicrosAdded()).isEqualTo(6.0);
        assertThat(AccessCostReport.table(summaries, "current")).contains("missed");
    }

    @Test
    void theGoalIsJudgedOnTheLoopsWholeCpuNotItsSampledUserTime() {
        // 2 µs more on the loop, 1 µs of it user time: under the goal by the user time alone, over it in all.
        List<AccessCostReport.Summary> summaries = AccessCostReport.summarise(List.of(
                row("1", "portcullis", "1000", "40000000", "40000000", "20000000"),
                row("1", "portcullis-access", "1000", "42000000", "42000000", "20000000")));

        assertThat(AccessCostReport.table(summaries, "current")).contains("adds 2.00 µs of CPU per request").contains("missed");
    }

    @Test
    void aRepetitionWithOnlyOneOfTheTwoGatewaysIsAnError() {
        assertThatThrownBy(() -> AccessCostReport.summarise(List.of(row("1", "portcullis", "1000", "1", "1", "1"))))
                .hasMessageContaining("repetition 1").hasMessageContaining("expected: both");
    }

    @Test
    void aRunWithoutRequestsIsAnError() {
        assertThatThrownBy(() -> AccessCostReport.summarise(List.of(row("1", "portcullis", "0", "1", "1", "1"))))
                .hasMessageContaining("completed 0 requests");
    }

    private static Map<String, String> row(String rep, String target, String requests, String loopCpuNs,
            String processCpuNs, String totalBytes) {
        return Map.of("rep", rep, "build", "current", "target", target, "load", "http1", "requests", requests,
                "loop_cpu_ns", loopCpuNs, "loop_user_ns", Long.toString(Long.parseLong(loopCpuNs) / 2),
                "process_cpu_ns", processCpuNs, "total_bytes", totalBytes, "loop_bytes", totalBytes);
    }
}
