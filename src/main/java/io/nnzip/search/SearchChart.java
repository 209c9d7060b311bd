package io.nnzip.search;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.knowm.xchart.BitmapEncoder;
import java.util.List;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Fitness against cost (share of MACs kept) of every evaluated individual, one series per generation, as PNG. */
final class SearchChart {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    private SearchChart() {}

    /** @param rankBy loss (the fitness plotted is minus the held-out cross-entropy) or accuracy */
    static byte[] png(List<List<GeneticSearch.Individual>> history, double target, String rankBy) { return png(history, target, rankBy, false); }

    /** Fitness against the share of MACs kept with the given y-axis title (co-evolution's generator fitness). */
    static byte[] png(List<List<GeneticSearch.Individual>> history, double target, String yTitle, String xTitle) {
        return png(history, "Search: fitness vs cost per generation (budget " + target + ")", xTitle, yTitle);
    }

    /** @param latency the cost is the predicted latency ratio (width search), not the share of MACs */
    static byte[] png(List<List<GeneticSearch.Individual>> history, double target, String rankBy, boolean latency) {
        return png(history, "Search: fitness vs cost per generation (budget " + target + ")",
                latency ? "predicted ONNX Runtime latency (fraction of the original)" : "MACs kept (fraction of the original)",
                rankBy.equals("loss") ? "minus held-out cross-entropy after brief fine-tune" : "held-out accuracy after brief fine-tune");
    }

    private static byte[] png(List<List<GeneticSearch.Individual>> history, String title, String xTitle, String yTitle) {
        XYChart c = new XYChartBuilder().width(720).height(420).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        c.getStyler().setMarkerSize(7);
        for (int g = 0; g < history.size(); g++) {
            List<GeneticSearch.Individual> gen = history.get(g);
            double[] x = gen.stream().mapToDouble(GeneticSearch.Individual::cost).toArray();
            double[] y = gen.stream().mapToDouble(GeneticSearch.Individual::fitness).toArray();
            XYSeries s = c.addSeries("generation " + g, x, y);
            s.setMarker(SeriesMarkers.CIRCLE);
        }
        try {
            return BitmapEncoder.getBitmapBytes(c, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
