package io.nnzip.pipeline.report;

import io.nnzip.pipeline.Measurement;
import io.nnzip.pipeline.StepRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The report's charts, drawn with XChart and encoded as PNG (embedded in the HTML, so it needs no network). */
public final class Charts {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Charts() {}

    public static byte[] png(Chart<?, ?> c) {
        try {
            return BitmapEncoder.getBitmapBytes(c, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String label(int i, StepRecord r) { return i + ". " + r.step(); }

    /** Size (coded when known, else file) against accuracy (or top-1 agreement with the input when no data). */
    public static XYChart tradeoff(List<StepRecord> steps) {
        boolean acc = steps.getFirst().measurement().accuracy() != null;
        XYChart c = new XYChartBuilder().width(720).height(420).title("Size / accuracy trade-off")
                .xAxisTitle("size (KiB)").yAxisTitle(acc ? "top-1 accuracy (%)" : "top-1 agreement with input (%)").build();
        c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        c.getStyler().setXAxisDecimalPattern("#,##0.#");
        c.getStyler().setYAxisDecimalPattern("#0.0");
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        c.getStyler().setMarkerSize(11);
        double agree = 100;
        for (int i = 0; i < steps.size(); i++) {
            Measurement m = steps.get(i).measurement();
            if (m.agreement() != null) agree *= m.agreement();
            double kb = (m.codedBytes() != null ? m.codedBytes() : m.fileBytes()) / 1024.0;
            double y = acc && m.accuracy() != null ? m.accuracy() : agree;
            XYSeries s = c.addSeries(label(i, steps.get(i)), new double[] {kb}, new double[] {y});
            s.setMarker(SeriesMarkers.CIRCLE);
        }
        return c;
    }

    public static CategoryChart latency(List<StepRecord> steps) {
        List<String> names = new ArrayList<>();
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < steps.size(); i++) {
            names.add(label(i, steps.get(i)));
            ms.add(steps.get(i).measurement().ortMs());
        }
        CategoryChart c = bars("ONNX Runtime latency per step", "step", "ms (median)");
        c.addSeries("latency", names, ms);
        return c;
    }

    public static CategoryChart perLayer(String title, String yTitle, Map<String, ? extends Number> values) {
        CategoryChart c = bars(title, "weight tensor", yTitle);
        List<String> names = new ArrayList<>(values.keySet());
        List<Number> v = new ArrayList<>(values.values());
        if (names.isEmpty()) {
            names.add("(none)");
            v.add(0);
        }
        c.addSeries(yTitle, names, v);
        c.getStyler().setXAxisLabelRotation(45);
        return c;
    }

    /** One bar group per layer, one series per step (steps name their layers alike, so pruning's zeros stay visible after later steps). */
    public static CategoryChart perLayerSteps(String title, String yTitle, Map<String, Map<String, Double>> byStep) {
        CategoryChart c = bars(title, "layer", yTitle);
        c.getStyler().setLegendVisible(true);
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        c.getStyler().setLabelsVisible(false);
        List<String> layers = new ArrayList<>();
        for (Map<String, Double> m : byStep.values()) for (String k : m.keySet()) if (!layers.contains(k)) layers.add(k);
        if (layers.isEmpty()) layers.add("(none)");
        for (Map.Entry<String, Map<String, Double>> e : byStep.entrySet()) {
            List<Number> v = new ArrayList<>();
            for (String l : layers) v.add(e.getValue().getOrDefault(l, 0.0));
            c.addSeries(e.getKey(), layers, v);
        }
        c.getStyler().setXAxisLabelRotation(45);
        return c;
    }

    static CategoryChart bars(String title, String x, String y) {
        CategoryChart c = new CategoryChartBuilder().width(720).height(380).title(title).xAxisTitle(x).yAxisTitle(y).build();
        c.getStyler().setLegendVisible(false);
        c.getStyler().setLabelsVisible(true);
        c.getStyler().setDecimalPattern("#,##0.##");
        return c;
    }
}
