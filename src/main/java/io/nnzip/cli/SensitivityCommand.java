package io.nnzip.cli;

import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.pipeline.report.Charts;
import io.nnzip.prune.ModelSource;
import io.nnzip.prune.PruneData;
import io.nnzip.prune.Sensitivity;
import io.nnzip.util.AtomicFiles;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "sensitivity", mixinStandardHelpOptions = true,
        description = {"Prunes each coupled layer group alone at several amounts (structured) and reports the accuracy left",
                "(or, without labelled data, top-1 agreement with the unpruned model), as a table and a chart."})
public final class SensitivityCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "MODEL", description = "The ONNX model, or zoo:NAME:SIZE[:WIDTH] (resnet18, mobilenetv2, squeezenet, shufflenetv2).")
    String model;

    @Mixin
    DataOptions dataOptions;

    @Option(names = "--calib-data", paramLabel = "DATA", description = "Inputs when there are no labels: dataset name or .npy (default: --data, else random inputs).")
    String calibData;

    @Option(names = "--amounts", defaultValue = "0.1,0.3,0.5,0.7,0.9", split = ",", description = "Amounts to try (default ${DEFAULT-VALUE}).")
    List<Double> amounts;

    @Option(names = "--method", defaultValue = "l1-filter", description = "Structured criterion ranking the channels (default ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--calib-batches", defaultValue = "4", description = "Calibration batches (default ${DEFAULT-VALUE}).")
    int calibBatches;

    @Option(names = {"--calib-batch-size", "--batch-size"}, defaultValue = "16", description = "Calibration batch size (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--plot", description = "Write the chart here (PNG).")
    Path plot;


    @Option(names = "--seed", defaultValue = "1", description = "Seed for random inputs and criteria (default ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    SparkOptions spark;

    private double sweepSeconds;

    @Override
    protected Map<String, Object> execute() {
        for (double a : amounts) if (!(a > 0 && a < 1)) throw new NnzipException("--amounts must lie in (0, 1), got " + a);
        Model m = ModelSource.read(model);
        io.nnzip.dist.ScaleOut.Sweep sweep = null;
        Sensitivity.Scan scan;
        if (spark.enabled()) {
            io.nnzip.dist.SensitivitySpec spec = new io.nnzip.dist.SensitivitySpec(io.nnzip.onnx.OnnxWriter.toBytes(m), dataOptions.data, dataOptions.limit,
                    calibData, dataOptions.normalize, amounts, method, calibBatches, batchSize, seed);
            sweep = io.nnzip.dist.ScaleOuts.require().sensitivity(spark.master, spec, this::note);
            scan = sweep.scan();
        } else {
            long t0 = System.nanoTime();
            scan = scanHere(m);
            sweepSeconds = Math.round((System.nanoTime() - t0) / 1e6) / 1e3;
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", model.toString());
        // JSON accuracies are fractions (docs/CLI.md); the scan counts in percent
        r.put("score", scan.scoreName().replace(" (%)", ""));
        r.put("baseline", scan.baseline() / 100);
        r.put("macs", scan.macs());
        r.put("amounts", amounts);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Sensitivity.Row row : scan.rows()) {
            Map<String, Object> x = new LinkedHashMap<>();
            if (sweep != null) x.put("ran_on", sweep.where().get(rows.size()));
            x.put("group", row.label());
            x.put("channels", row.channels());
            x.put("scores", row.points().stream().map(p -> p.score() / 100).toList());
            x.put("macs_saved", row.points().stream().map(Sensitivity.Point::macsSaved).toList());
            rows.add(x);
        }
        r.put("groups", rows);
        r.put("ran_on", sweep == null ? "this process" : sweep.info());
        // the sweep itself (preparation and every row), without reading the model and starting Spark
        r.put("sweep_seconds", sweep == null ? sweepSeconds : sweep.info().get("sweep_seconds"));
        if (plot != null) {
            AtomicFiles.write(plot, Charts.png(chart(scan)));
            r.put("plot", plot.toString());
        }
        return r;
    }

    private Sensitivity.Scan scanHere(Model m) {
        io.nnzip.data.DataSplits splits = io.nnzip.data.DataSplits.load(dataOptions.data, dataOptions.limit).withCalibration(calibData, dataOptions.limit)
                .normalized(dataOptions.normalize == null ? null : io.nnzip.data.Normalization.parse(dataOptions.normalize));
        PruneData calib = PruneData.of(io.nnzip.pass.PassContext.builder().data(splits).seed(seed).build(), 0f, seed);
        Iterable<Map<String, Tensor>> batches = calib.calibration(m, calibBatches, batchSize, seed);
        return Sensitivity.scan(m, method, amounts, batches, calib.labelled(m, calibBatches, batchSize, seed), calib.accuracy(), seed, this::note);
    }

    private XYChart chart(Sensitivity.Scan scan) {
        XYChart c = new XYChartBuilder().width(900).height(520).title("Pruning sensitivity per layer group (" + method + ")")
                .xAxisTitle("share of the group's channels removed").yAxisTitle(scan.scoreName()).build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        double[] x = amounts.stream().mapToDouble(Double::doubleValue).toArray();
        for (Sensitivity.Row row : scan.rows()) {
            double[] y = row.points().stream().mapToDouble(Sensitivity.Point::score).toArray();
            c.addSeries(row.group() + ": " + row.label(), x, y);
        }
        return c;
    }

    @Override
    @SuppressWarnings("unchecked")
    protected void printHuman(Map<String, Object> r, PrintStream out) {
        out.printf("%s: %s (%%) per layer group, baseline %.2f%n", r.get("model"), r.get("score"), 100 * (Double) r.get("baseline"));
        StringBuilder head = new StringBuilder(String.format("  %-44s %8s", "group", "channels"));
        for (Double a : (List<Double>) r.get("amounts")) head.append(String.format(" %7.0f%%", 100 * a));
        out.println(head);
        for (Map<String, Object> g : (List<Map<String, Object>>) r.get("groups")) {
            StringBuilder sb = new StringBuilder(String.format("  %-44s %8s", g.get("group"), g.get("channels")));
            for (Double s : (List<Double>) g.get("scores")) sb.append(String.format(" %8.2f", 100 * s));
            out.println(sb);
        }
        if (r.containsKey("plot")) out.println("chart: " + r.get("plot"));
    }
}
