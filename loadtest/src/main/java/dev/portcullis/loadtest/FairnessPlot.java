package dev.portcullis.loadtest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

/**
 * The fairness scenario's picture: each workspace's share of the total throughput with fairness and
 * without (shares, so that 330 MB/s without and 25 MB/s with fit one linear axis).
 */
final class FairnessPlot {
    private FairnessPlot() {}

    static void write(Path png, Map<String, Double> fairMBps, Map<String, Double> offMBps, double jainFair,
                      double jainOff) throws IOException {
        CategoryChart chart = new CategoryChartBuilder().width(900).height(450)
                .title(String.format(Locale.ROOT, "10 workspaces, ws0 with 50 connections: Jain %.3f with fairness, %.3f without",
                        jainFair, jainOff))
                .xAxisTitle("workspace").yAxisTitle("share of the total throughput, % (median of runs)").build();
        List<String> names = new ArrayList<>(fairMBps.keySet());
        chart.addSeries(String.format(Locale.ROOT, "fairness, capacity shared (%.1f MB/s in all)", total(fairMBps)),
                names, percentages(names, fairMBps));
        chart.addSeries(String.format(Locale.ROOT, "no fairness, per-connection TCP (%.1f MB/s in all)", total(offMBps)),
                names, percentages(names, offMBps));
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        chart.getStyler().setYAxisMin(0.0);
        Files.createDirectories(png.toAbsolutePath().getParent());
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static double total(Map<String, Double> values) {
        return values.values().stream().mapToDouble(Double::doubleValue).sum();
    }

    private static List<Double> percentages(List<String> names, Map<String, Double> values) {
        double total = total(values);
        return names.stream().map(name -> 100 * values.get(name) / total).toList();
    }
}
