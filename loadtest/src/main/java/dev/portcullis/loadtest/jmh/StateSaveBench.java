package dev.portcullis.loadtest.jmh;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * {@code loadtest/run.sh state-save}: runs {@link StateSaveBenchmark} with JMH and prints the time of
 * one save at 10, 100 and 1000 workspaces, each as a ratio to the save at 10 of the same run; writes
 * the table as JSON to the file given.
 */
public final class StateSaveBench {
    private StateSaveBench() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: StateSaveBench <forks> <result.json>");
            System.exit(2);
        }
        Options options = new OptionsBuilder()
                .include(StateSaveBenchmark.class.getName())
                .forks(Integer.parseInt(args[0]))
                .warmupIterations(3).warmupTime(TimeValue.seconds(1))
                .measurementIterations(5).measurementTime(TimeValue.seconds(1))
                .build();
        Map<Integer, Double> micros = new TreeMap<>();
        for (RunResult result : new Runner(options).run()) {
            micros.put(Integer.parseInt(result.getParams().getParam("workspaces")), result.getPrimaryResult().getScore());
        }
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode report = json.createObjectNode().put("benchmark", "state-save").put("unit", "µs/save");
        ArrayNode cases = report.putArray("cases");
        double atTen = micros.get(10);
        System.out.printf("%nthe desired state's save (write-ahead, no fsync), one workspace changed%n%-12s %12s %10s%n",
                "workspaces", "µs per save", "ratio");
        micros.forEach((workspaces, us) -> {
            System.out.printf("%-12d %12.1f %10.2f%n", workspaces, us, us / atTen);
            cases.addObject().put("workspaces", workspaces).put("micros", us).put("ratio_to_10", us / atTen);
        });
        Files.writeString(Path.of(args[1]), json.writeValueAsString(report));
        System.out.println("\nwritten to " + args[1]);
    }
}
