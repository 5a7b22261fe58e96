package dev.portcullis.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FairnessReportTest {
    private static Map<String, Double> medians(double jain10, double jain1, double weightError, double conservation,
                                               double p99Ratio, double throughputRatio) {
        Map<String, Double> m = new HashMap<>();
        m.put("jain_10s_fair", jain10);
        m.put("jain_1s_min_fair", jain1);
        m.put("weights_worst_relative_error", weightError);
        m.put("conservation_of_capacity", conservation);
        m.put("light_p99_ratio_fair", p99Ratio);
        m.put("overhead_throughput_ratio", throughputRatio);
        return m;
    }

    @SuppressWarnings("unchecked")
    private static boolean met(Map<String, Object> goals, String name) {
        return (Boolean) ((Map<String, Object>) goals.get(name)).get("met");
    }

    @Test
    void figuresAtTheGoalsAreMet() {
        Map<String, Object> goals = FairnessReport.goals(medians(0.98, 0.95, 0.05, 0.95, 2.0, 0.95));

        assertThat(goals.keySet()).allSatisfy(name -> assertThat(met(goals, name)).as(name).isTrue());
    }

    @Test
    void eachFigurePastItsGoalIsNotMet() {
        Map<String, Object> goals = FairnessReport.goals(medians(0.97, 0.94, 0.06, 0.94, 2.1, 0.94));

        assertThat(goals.keySet()).hasSize(6).allSatisfy(name -> assertThat(met(goals, name)).as(name).isFalse());
    }
}
