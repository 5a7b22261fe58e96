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
 * {@code loadtest/run.sh route-lookup}: runs {@link RouteLookupBenchmark} with JMH and prints, per
 * table size and key order, the sharded map's time, the plain HashMap's, and each as a ratio to the
 * same case at 1k routes; writes the table as JSON to the file given.
 */
public final class RouteLookupBench {
    private RouteLookupBench() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: RouteLookupBench <forks> <result.json>");
            System.exit(2);
        }
        Options options = new OptionsBuilder()
                .include(RouteLookupBenchmark.class.getName())
                .forks(Integer.parseInt(args[0]))
                .warmupIterations(3).warmupTime(TimeValue.seconds(1))
                .measurementIterations(5).measurementTime(TimeValue.seconds(1))
                .build();
        // structure -> order -> routes -> ns/op
        Map<String, Double> scores = new TreeMap<>();
        for (RunResult result : new Runner(options).run()) {
            String benchmark = result.getParams().getBenchmark();
            String key = benchmark.substring(benchmark.lastIndexOf('.') + 1) + "/" + result.getParams().getParam("order")
                         + "/" + result.getParams().getParam("routes");
            scores.put(key, result.getPrimaryResult().getScore());
        }
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode report = json.createObjectNode().put("benchmark", "route-lookup").put("unit", "ns/op");
        ArrayNode cases = report.putArray("cases");
        System.out.printf("%n%-8s %-8s %8s %10s %10s %12s %12s%n", "order", "routes", "", "sharded", "hashmap",
                "sharded/1k", "hashmap/1k");
        for (String order : new String[] {"same", "random"}) {
            for (String routes : new String[] {"1000", "10000", "100000"}) {
                double sharded = scores.get("sharded/" + order + "/" + routes);
                double hashmap = scores.get("hashmap/" + order + "/" + routes);
                double sharded1k = scores.get("sharded/" + order + "/1000");
                double hashmap1k = scores.get("hashmap/" + order + "/1000");
                System.out.printf("%-8s %-8s %8s %10.1f %10.1f %12.2f %12.2f%n", order, routes, "", sharded, hashmap,
                        sharded / sharded1k, hashmap / hashmap1k);
                cases.addObject().put("order", order).put("routes", Integer.parseInt(routes))
                        .put("sharded_ns", sharded).put("hashmap_ns", hashmap)
                        .put("sharded_ratio_to_1k", sharded / sharded1k).put("hashmap_ratio_to_1k", hashmap / hashmap1k);
            }
        }
        Files.writeString(Path.of(args[1]), json.writeValueAsString(report));
        System.out.println("\nwritten to " + args[1]);
    }
}
