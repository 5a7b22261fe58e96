package dev.portcullis.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BenchReportTest {

    @Test
    void medianOfAnOddCountIsTheMiddleValue() {
        assertThat(Medians.of(List.of(9.0, 1.0, 5.0))).isEqualTo(5.0);
    }

    @Test
    void medianOfAnEvenCountIsTheMeanOfTheTwoMiddleValues() {
        assertThat(Medians.of(List.of(4.0, 1.0, 2.0, 100.0))).isEqualTo(3.0);
    }

    @Test
    void medianOfNothingIsAnError() {
        assertThatThrownBy(() -> Medians.of(List.of())).hasMessageContaining("values: empty");
    }

    @Test
    void mediansAreTakenPerTargetAndModeAndRatiosAreToNginx() {
        List<Map<String, String>> rows = List.of(
                row("1", "nginx", "closed", "1000", "10"), row("2", "nginx", "closed", "3000", "30"),
                row("3", "nginx", "closed", "2000", "20"), row("1", "portcullis", "closed", "500", "90"),
                row("2", "portcullis", "closed", "700", "70"), row("3", "portcullis", "closed", "600", "80"),
                row("1", "portcullis", "open", "1", "1"));

        Map<String, Map<String, Double>> medians = BenchReport.medians(rows, "closed");

        assertThat(medians.get("nginx")).containsEntry("rps", 2000.0).containsEntry("cpu_us_per_req", 20.0);
        assertThat(medians.get("portcullis")).containsEntry("rps", 600.0).containsEntry("cpu_us_per_req", 80.0);
        assertThat(BenchReport.ratios(medians).get("portcullis"))
                .containsEntry("cpu_us_per_req", 4.0).containsEntry("rps", 0.3);
    }

    @Test
    void cpuRatiosAreAlsoTakenWithinEachRepetitionThenTheirMedian() {
        // Repetition 2 ran on a busy machine: both targets paid for it, their ratio did not move.
        List<Map<String, String>> rows = List.of(
                row("1", "haproxy", "closed", "1", "10"), row("2", "haproxy", "closed", "1", "40"),
                row("3", "haproxy", "closed", "1", "12"), row("1", "portcullis", "closed", "1", "12"),
                row("2", "portcullis", "closed", "1", "48"), row("3", "portcullis", "closed", "1", "18"));

        assertThat(BenchReport.cpuRatiosWithinRepetitions(rows, "closed", "haproxy"))
                .containsEntry("portcullis", 1.2).containsEntry("haproxy", 1.0);
        assertThat(BenchReport.ratios(BenchReport.medians(rows, "closed"), "haproxy").get("portcullis"))
                .containsEntry("cpu_us_per_req", 1.5);
    }

    @Test
    void aTargetOutsideTheUsualOnesFollowsThemInTheOrderItRan() {
        List<Map<String, String>> rows = List.of(row("1", "portcullis-2-loops", "closed", "5", "1"),
                row("1", "nginx", "closed", "1", "1"));

        assertThat(BenchReport.medians(rows, "closed").keySet()).containsExactly("nginx", "portcullis-2-loops");
    }

    @Test
    void anEmptyCellIsLeftOutOfTheMedians() {
        Map<String, String> row = row("1", "nginx", "open", "100", "");

        assertThat(BenchReport.medians(List.of(row), "open").get("nginx")).containsKey("rps")
                .doesNotContainKey("cpu_us_per_req");
    }

    @Test
    void theMeanLatencyOfH2loadGetsAMedianAndTheTableNamesTheLoadGenerator() {
        List<Map<String, String>> rows = List.of(
                Map.of("rep", "1", "target", "nginx", "mode", "closed", "rps", "100", "mean_us", "900"),
                Map.of("rep", "2", "target", "nginx", "mode", "closed", "rps", "100", "mean_us", "700"),
                Map.of("rep", "3", "target", "nginx", "mode", "closed", "rps", "100", "mean_us", "800"));

        Map<String, Map<String, Double>> medians = BenchReport.medians(rows, "closed");

        assertThat(medians.get("nginx")).containsEntry("mean_us", 800.0);
        assertThat(BenchReport.table("closed", "h2load", medians)).startsWith("closed loop (h2load), medians");
    }

    @Test
    void theCoresAProxyUsedAndHowBusyTheyWereGetMedians() {
        List<Map<String, String>> rows = List.of(
                Map.of("rep", "1", "target", "nginx", "mode", "closed", "rps", "100", "proxy_cores_used", "0.25",
                        "proxy_core_busy", "1.00", "client_core_busy", "0.99", "max_us", "9000"),
                Map.of("rep", "2", "target", "nginx", "mode", "closed", "rps", "100", "proxy_cores_used", "0.95",
                        "proxy_core_busy", "0.97", "client_core_busy", "0.90", "max_us", "7000"),
                Map.of("rep", "3", "target", "nginx", "mode", "closed", "rps", "100", "proxy_cores_used", "0.50",
                        "proxy_core_busy", "0.98", "client_core_busy", "0.95", "max_us", "8000"));

        assertThat(BenchReport.medians(rows, "closed").get("nginx")).containsEntry("proxy_cores_used", 0.5)
                .containsEntry("proxy_core_busy", 0.98).containsEntry("client_core_busy", 0.95).containsEntry("max_us", 8000.0);
    }

    private static Map<String, String> row(String rep, String target, String mode, String rps, String cpu) {
        return Map.of("rep", rep, "target", target, "mode", mode, "rps", rps, "cpu_us_per_req", cpu);
    }
}
