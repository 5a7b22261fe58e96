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
 * {@code loadtest/run.sh access-check}: runs {@link AccessCheckBenchmark} with JMH and prints each
 * case's median time per operation (and its 90th percentile), the access check's own cost (minus the
 * head copy every case makes) and the cold case's cost as a multiple of the warm one, all from the
 * same run; writes the table as JSON.
 * The audit log goes, as in production, through logback's queue, here to an appender that drops it.
 */
public final class AccessCheckBench {
    private static final String LOGBACK = """
            <configuration>
              <appender name="nothing" class="ch.qos.logback.core.helpers.NOPAppender"/>
              <appender name="per-request" class="ch.qos.logback.classic.AsyncAppender">
                <queueSize>8192</queueSize>
                <discardingThreshold>0</discardingThreshold>
                <appender-ref ref="nothing"/>
              </appender>
              <logger name="portcullis.audit" level="INFO" additivity="false"><appender-ref ref="per-request"/></logger>
              <root level="WARN"><appender-ref ref="nothing"/></root>
            </configuration>
            """;

    private AccessCheckBench() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: AccessCheckBench <forks> <result.json>");
            System.exit(2);
        }
        Path logback = Files.createTempFile("access-bench-logback", ".xml");
        Files.writeString(logback, LOGBACK);
        Options options = new OptionsBuilder()
                .include(AccessCheckBenchmark.class.getName())
                .forks(Integer.parseInt(args[0]))
                .jvmArgsAppend("-Dlogback.configurationFile=" + logback)
                .warmupIterations(5).warmupTime(TimeValue.seconds(1))
                .measurementIterations(5).measurementTime(TimeValue.seconds(1))
                .build();
        Collection<RunResult> results = new Runner(options).run();
        Map<String, double[]> byCase = new TreeMap<>();
        for (RunResult result : results) {
            String name = result.getParams().getBenchmark();
            name = name.substring(name.lastIndexOf('.') + 1);
            var statistics = result.getPrimaryResult().getStatistics();
            byCase.put(name, new double[] {statistics.getPercentile(50), statistics.getPercentile(90)});
        }
        double copy = byCase.get("baselineCopyHead")[0];
        double warmCheck = byCase.get("warmConnection")[0] - copy;
        double coldCheck = byCase.get("coldConnection")[0] - copy;
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode report = json.createObjectNode().put("benchmark", "access-check").put("unit", "ns/op, median of per-operation samples")
                .put("baseline", "baselineCopyHead").put("warm_check_ns", warmCheck).put("cold_check_ns", coldCheck)
                .put("cold_to_warm", coldCheck / warmCheck);
        ArrayNode cases = report.putArray("cases");
        System.out.printf("%n%-20s %14s %14s %14s%n", "case", "median ns/op", "p90 ns/op", "check ns/op");
        for (Map.Entry<String, double[]> entry : byCase.entrySet()) {
            double[] score = entry.getValue();
            System.out.printf("%-20s %14.0f %14.0f %14.0f%n", entry.getKey(), score[0], score[1], score[0] - copy);
            cases.addObject().put("name", entry.getKey()).put("median_ns_per_op", score[0]).put("p90_ns_per_op", score[1])
                    .put("check_ns_per_op", score[0] - copy);
        }
        System.out.printf("%nthe access check on a warm connection: %.0f ns; on a cold one: %.0f ns (%.1f× warm)%n",
                warmCheck, coldCheck, coldCheck / warmCheck);
        Files.writeString(Path.of(args[1]), json.writeValueAsString(report));
        System.out.println("written to " + args[1]);
    }
}
