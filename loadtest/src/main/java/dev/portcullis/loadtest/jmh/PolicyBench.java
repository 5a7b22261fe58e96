package dev.portcullis.loadtest.jmh;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * {@code ./portcullis loadtest policy}: runs {@link PolicyEvaluatorBenchmark} with JMH and prints
 * each decision's time and its ratio to the share lookup measured in the same run; writes the table
 * as JSON to the file given.
 */
public final class PolicyBench {
    private PolicyBench() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: PolicyBench <forks> <result.json>");
            System.exit(2);
        }
        Options options = new OptionsBuilder()
                .include(PolicyEvaluatorBenchmark.class.getName())
                .forks(Integer.parseInt(args[0]))
                .warmupIterations(5).warmupTime(TimeValue.seconds(1))
                .measurementIterations(5).measurementTime(TimeValue.seconds(1))
                .build();
        Collection<RunResult> results = new Runner(options).run();
        Map<String, double[]> byCase = new TreeMap<>();
        for (RunResult result : results) {
            String name = result.getParams().getBenchmark();
            name = name.substring(name.lastIndexOf('.') + 1);
            var primary = result.getPrimaryResult();
            byCase.put(name, new double[] {primary.getScore(), primary.getScoreError()});
        }
        double baseline = byCase.get("baselineShareLookup")[0];
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode report = json.createObjectNode().put("benchmark", "policy-evaluator").put("unit", "ns/op")
                .put("baseline", "baselineShareLookup");
        ArrayNode cases = report.putArray("cases");
        System.out.printf("%n%-28s %12s %10s %12s%n", "decision", "ns/op", "± (99.9%)", "× lookup");
        for (Map.Entry<String, double[]> entry : byCase.entrySet()) {
            double[] score = entry.getValue();
            System.out.printf("%-28s %12.1f %10.1f %12.1f%n", entry.getKey(), score[0], score[1], score[0] / baseline);
            cases.addObject().put("name", entry.getKey()).put("ns_per_op", score[0]).put("error_ns", score[1])
                    .put("ratio_to_baseline", score[0] / baseline);
        }
        Files.writeString(Path.of(args[1]), json.writeValueAsString(report));
        System.out.println("\nwritten to " + args[1]);
    }
}
