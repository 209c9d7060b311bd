package io.nnzip.cli;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.TensorReport;
import io.nnzip.codec.rd.BitBudget;
import io.nnzip.codec.rd.CheckedEncode;
import io.nnzip.codec.rd.DatasetProbe;
import io.nnzip.codec.rd.ErrorCompensation;
import io.nnzip.codec.rd.MaxDropSearch;
import io.nnzip.codec.rd.SensitivitySearch;
import io.nnzip.data.Dataset;
import io.nnzip.data.Datasets;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.engine.ModelValidator;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "encode", mixinStandardHelpOptions = true, description = "Code an ONNX model into a compact .nnz stream.")
public final class EncodeCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "MODEL", description = "ONNX model to code.")
    Path model;

    @Option(names = {"-o", "--output"}, required = true, description = "The .nnz file to write.")
    Path output;

    @Mixin
    CodecModeOptions mode;

    @Option(names = "--provenance", paramLabel = "MODE", defaultValue = "full", description = "Pass records (nnzip.<pass> metadata) the stream keeps: full, compact (without their option descriptions) or none; the input normalization always stays (default ${DEFAULT-VALUE}).")
    String provenance;

    @Option(names = "--bits", paramLabel = "B", description = "Bit budget: the finest QP whose weights cost at most B bits each.")
    Double bits;

    @Option(names = "--max-drop", paramLabel = "POINTS", description = "Coarsest per-layer steps keeping accuracy (ONNX Runtime) within POINTS percentage points on a validation split (--val-data, else the last --val-images training images); steps from measured sensitivities (KL of the predictions) and real coded sizes. The decoded model is then measured on the TEST set (first --limit test images, default all), which the search never sees. Needs --data.")
    Double maxDrop;

    @Option(names = "--val-images", paramLabel = "N", defaultValue = "" + VAL_IMAGES, description = "Validation images for --max-drop without --val-data: the last N training images (default ${DEFAULT-VALUE}).")
    int valImages;

    @Option(names = "--val-data", paramLabel = "DATA", description = VAL_DATA_HELP)
    String valData;

    @Option(names = "--compensate", description = "Error-compensated quantization (GPTQ-style, no retraining): each Conv/Gemm weight's rounding error is spread over its not yet quantized inputs using input statistics of the first --calib-images training images; per-tensor steps, rounding to nearest (with --quantizer rdoq or dq: levels chosen by a rate-distortion trellis that applies the same update along every path, scalar or dependent). Needs --data.")
    boolean compensate;

    @Option(names = "--calib-images", paramLabel = "N", defaultValue = "4096", description = "Training images for --compensate: the first N (default ${DEFAULT-VALUE}: more than a fully connected layer's inputs, so its input statistics are full rank); must not overlap --val-images.")
    int calibImages;

    @Mixin
    DataOptions data;

    @Mixin
    SparkOptions spark;

    /** Default validation images: a 0.5-point bound is then resolved to about ±0.2 points (two-model accuracy difference). */
    static final int VAL_IMAGES = 10000;

    @Override
    protected Map<String, Object> execute() throws Exception {
        Model m = io.nnzip.pass.Provenance.keep(ModelValidator.read(model), provenance);
        CodecOptions o = mode.options(m);
        Map<String, Object> r = new LinkedHashMap<>();
        if ((bits != null ? 1 : 0) + (maxDrop != null ? 1 : 0) + (mode.lossless ? 1 : 0) > 1)
            throw new NnzipException("choose one of --lossless, --bits, --max-drop");
        if (bits != null) {
            int qp = BitBudget.findQp(m, bits, o);
            o = o.withQp(qp);
            r.put("qp_for_budget", qp);
        }
        if (spark.enabled() && maxDrop == null) throw new NnzipException("--spark runs the --max-drop search's trials; give --max-drop too");
        if (valData != null && maxDrop == null) throw new NnzipException("--val-data is the validation split of --max-drop; give --max-drop too");
        Dataset train = null;
        if (compensate || maxDrop != null) {
            train = Datasets.load(data.requireData(compensate ? "--compensate" : "--max-drop"), "train");
            if (maxDrop != null && valData == null) io.nnzip.data.DataSplits.checkHoldOut(train, valImages);
            if (compensate && maxDrop != null && valData == null && calibImages + valImages > train.size())
                throw new NnzipException("--calib-images " + calibImages + " + --val-images " + valImages + " exceed the " + train.size() + " training images (the two must not overlap)");
        }
        ErrorCompensation comp = null;
        if (compensate) {
            if (mode.lossless) throw new NnzipException("--compensate needs a lossy mode");
            o = ErrorCompensation.codingOptions(o);
            java.util.Set<String> weights = new java.util.LinkedHashSet<>();
            m.graph().initializers().forEach((k, t) -> { if (t.dtype() == io.nnzip.ir.DType.FLOAT && t.rank() >= 2 && t.size() >= CodecOptions.MIN_QUANTIZED) weights.add(k); });
            Dataset calib = train.head(calibImages);
            comp = ErrorCompensation.prepare(m, weights, calib, data.normalization(m), 128).withQuantizer(o.quantizer());
            r.put("compensated_layers", new java.util.ArrayList<>(comp.layers()));
            r.put("calibration_split", "train images 0.." + (calib.size() - 1));
        }
        DatasetProbe valProbe = null;
        double floor = 0;
        if (maxDrop != null) {
            Validation val = validation(valData, train, valImages);
            io.nnzip.data.Normalization norm = data.normalization(m);
            valProbe = new DatasetProbe(val.data(), norm, mode.threads);
            MaxDropSearch.Result s;
            if (spark.enabled()) {
                if (comp != null) throw new NnzipException("--spark does not support --compensate yet (the trials would need the calibration statistics)");
                double base = valProbe.reference(m);
                try (io.nnzip.dist.ScaleOut.Cluster c = io.nnzip.dist.ScaleOuts.require().open(spark.master, this::note)) {
                    // one trial per task slot at a time; on this machine's local masters the slots share its cores
                    int threads = c.master().startsWith("local") ? Math.max(1, OptionRules.CORES / c.slots()) : mode.threads;
                    MaxDropTrials trials = new MaxDropTrials(c, new MaxDropTrials.Setup(java.util.UUID.randomUUID().toString(), Files.readAllBytes(model),
                            data.data, valData, valImages, norm.mean(), norm.std(), threads, o));
                    note("--max-drop trials on Spark " + c.master() + ": " + c.slots() + " at a time");
                    s = SensitivitySearch.search(m, base, maxDrop, o, trials, this::note);
                    r.put("spark", trials.report());
                }
            } else s = SensitivitySearch.search(m, valProbe, maxDrop, o, comp, this::note);
            floor = s.baseAccuracy() - maxDrop / 100;
            r.put("validation_split", val.description());
            r.put("max_drop_evaluations", s.evaluations());
            o = o.withOverrides(s.qps());
            r.put("validation_accuracy_original", s.baseAccuracy());
            r.put("validation_accuracy_searched", s.finalAccuracy());
        }
        List<TensorReport> tensors;
        if (maxDrop != null) {
            CheckedEncode.Written w = CheckedEncode.settle(output, m, o, comp, valProbe, floor, this::note);
            o = w.options();
            tensors = w.tensors();
            double va = w.paired()[0];
            r.put("float_mantissa", o.floatMantissa());
            r.put("validation_accuracy_decoded", va);
            r.put("validation_standard_error_points", 100 * w.paired()[1]);
            r.put("validation_margin_points", 100 * SensitivitySearch.MARGIN_SE * w.paired()[1]);
            r.put("validation_drop_points", 100 * ((Double) r.get("validation_accuracy_original") - va));
            r.put("backoffs", w.backoffs());
            r.put("qp_per_tensor", new java.util.TreeMap<>(o.qpOverrides()));
            testCheck(r, data, m, w.decoded(), mode.threads, "original", "decoded", "decoded .nnz");
        } else tensors = CheckedEncode.write(output, m, o, comp);
        long in = Files.size(model), outBytes = Files.size(output);
        r.put("input", model.toString());
        r.put("output", output.toString());
        r.put("recipe", o.recipe());
        r.put("input_bytes", in);
        r.put("output_bytes", outBytes);
        r.put("ratio", (double) in / outBytes);
        r.put("tensors", tensors);
        return r;
    }

    @Override
    protected void printHuman(Map<String, Object> r, PrintStream out) {
        out.printf("%s -> %s: %d -> %d bytes (%.2fx, %.2f%%), recipe %s%n", r.get("input"), r.get("output"), r.get("input_bytes"), r.get("output_bytes"),
                (Double) r.get("ratio"), 100.0 / (Double) r.get("ratio"), r.get("recipe"));
        if (r.containsKey("test_accuracy_original")) {
            out.printf("validation (%s): %.2f%% -> %.2f%%%n", r.get("validation_split"), 100 * (Double) r.get("validation_accuracy_original"), 100 * (Double) r.get("validation_accuracy_decoded"));
            out.printf("test (%s): %.2f%% -> %.2f%% (drop %.2f points)%n", r.get("test_split"), 100 * (Double) r.get("test_accuracy_original"), 100 * (Double) r.get("test_accuracy_decoded"), (Double) r.get("test_drop_points"));
        }
    }

    static final String VAL_DATA_HELP = "Labelled validation samples for the --max-drop search, in place of the last --val-images training images: an .npz (x/y or images/labels) or a dataset name (its test split). Use a split the model was not trained on.";

    /** The split a --max-drop search measures on, and how the JSON report names it. */
    record Validation(Dataset data, String description) {}

    /** --val-data when given (an .npz's x/y, or a named dataset's test split), else the last {@code valImages} of {@code train}. */
    static Validation validation(String valData, Dataset train, int valImages) { return validation(valData, train, valImages, "what --max-drop searched on"); }

    /** The same, described as used for {@code use}. */
    static Validation validation(String valData, Dataset train, int valImages, String use) {
        if (valData != null) {
            Dataset d = Datasets.load(valData, "test");
            if (!d.labelled() || d.size() == 0) throw new NnzipException("--val-data " + valData + ": needs labelled samples (x and y)");
            return new Validation(d, "--val-data " + valData + ": " + d.size() + " samples (" + use + ")");
        }
        Dataset d = train.tail(valImages);
        return new Validation(d, "train images " + (train.size() - d.size()) + ".." + (train.size() - 1) + " (" + use + ")");
    }


    /**
     * The test split, never seen by a search, measured in ONNX Runtime on the reference and on what the receiver gets:
     * {@code test_accuracy_<refName>}, {@code test_accuracy_<gotName>} and the drop in points.
     */
    static void testCheck(Map<String, Object> r, DataOptions data, Model reference, Model got, int threads, String refName, String gotName, String what) {
        Dataset test = Datasets.load(data.data, "test").head(data.limit);
        DatasetProbe probe = new DatasetProbe(test, data.normalization(reference), threads);
        double ta0 = probe.accuracy(reference), ta = probe.accuracy(got);
        r.put("test_split", "test images 0.." + (test.size() - 1) + " (never seen by the search; " + what + " run in ONNX Runtime)");
        r.put("test_accuracy_" + refName, ta0);
        r.put("test_accuracy_" + gotName, ta);
        r.put("test_drop_points", 100 * (ta0 - ta));
    }
}
