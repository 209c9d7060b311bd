package io.nnzip.cli;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.ModelEncoder;
import io.nnzip.codec.TensorReport;
import io.nnzip.codec.TensorSource;
import io.nnzip.codec.rd.BitBudget;
import io.nnzip.codec.rd.DatasetProbe;
import io.nnzip.codec.rd.ErrorCompensation;
import io.nnzip.codec.rd.MaxDropSearch;
import io.nnzip.codec.rd.SensitivitySearch;
import io.nnzip.data.Dataset;
import io.nnzip.data.Datasets;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.util.AtomicFiles;
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

    @Option(names = "--bits", paramLabel = "B", description = "Bit budget: the finest QP whose weights cost at most B bits each.")
    Double bits;

    @Option(names = "--max-drop", paramLabel = "POINTS", description = "Coarsest steps keeping test accuracy (ONNX Runtime) within POINTS percentage points: per-layer steps from measured sensitivities (KL of the predictions), one global scale bisected; needs --data, evaluates the first --limit test images (default " + MAX_DROP_IMAGES + ").")
    Double maxDrop;

    @Option(names = "--compensate", description = "Error-compensated quantization (GPTQ-style, no retraining): each Conv/Gemm weight's rounding error is spread over its not yet quantized inputs using input statistics of --calib-images training images; per-tensor steps, rounding to nearest. Needs --data.")
    boolean compensate;

    @Option(names = "--calib-images", defaultValue = "1024", description = "Training images for --compensate (default ${DEFAULT-VALUE}).")
    int calibImages;

    @Mixin
    DataOptions data;

    /** Test images --max-drop evaluates when --limit is not given: enough to resolve ~0.5 points, quick in ONNX Runtime. */
    static final int MAX_DROP_IMAGES = 2000;

    @Override
    protected Map<String, Object> execute() throws Exception {
        Model m = OnnxReader.read(model);
        CodecOptions o = mode.options();
        Map<String, Object> r = new LinkedHashMap<>();
        if ((bits != null ? 1 : 0) + (maxDrop != null ? 1 : 0) + (mode.lossless ? 1 : 0) > 1)
            throw new NnzipException("choose one of --lossless, --bits, --max-drop");
        if (bits != null) {
            int qp = BitBudget.findQp(m, bits, o);
            o = o.withQp(qp);
            r.put("qp_for_budget", qp);
        }
        ErrorCompensation comp = null;
        if (compensate) {
            if (mode.lossless) throw new NnzipException("--compensate needs a lossy mode");
            o = ErrorCompensation.codingOptions(o);
            java.util.Set<String> weights = new java.util.LinkedHashSet<>();
            m.graph().initializers().forEach((k, t) -> { if (t.dtype() == io.nnzip.ir.DType.FLOAT && t.rank() >= 2 && t.size() >= CodecOptions.MIN_QUANTIZED) weights.add(k); });
            Dataset calib = Datasets.load(data.requireData("--compensate"), "train").head(calibImages);
            comp = ErrorCompensation.prepare(m, weights, calib, data.normalization(m), 128);
            r.put("compensated_layers", new java.util.ArrayList<>(comp.layers()));
            r.put("calib_images", calib.size());
        }
        if (maxDrop != null) {
            Dataset test = Datasets.load(data.requireData("--max-drop"), "test").head(data.limit > 0 ? data.limit : MAX_DROP_IMAGES);
            DatasetProbe probe = new DatasetProbe(test, data.normalization(m), mode.threads);
            MaxDropSearch.Result s = SensitivitySearch.search(m, probe, maxDrop, o, comp, this::note);
            r.put("max_drop_images", probe.size());
            r.put("max_drop_evaluations", s.evaluations());
            o = o.withOverrides(s.qps());
            r.put("accuracy_original", s.baseAccuracy());
            r.put("accuracy_quantized", s.finalAccuracy());
            r.put("qp_per_tensor", s.qps());
        }
        CodecOptions fo = o;
        Model coded = m;
        if (comp != null) {
            java.util.Map<String, Integer> qps = new java.util.LinkedHashMap<>();
            for (String w : comp.layers()) qps.put(w, o.qpFor(w));
            coded = comp.apply(m, qps);
        }
        Model fm = coded;
        java.util.concurrent.atomic.AtomicReference<List<TensorReport>> reports = new java.util.concurrent.atomic.AtomicReference<>();
        AtomicFiles.write(output, out -> reports.set(ModelEncoder.encode(TensorSource.of(fm), fo, out)));
        long in = Files.size(model), outBytes = Files.size(output);
        r.put("input", model.toString());
        r.put("output", output.toString());
        r.put("recipe", o.recipe());
        r.put("input_bytes", in);
        r.put("output_bytes", outBytes);
        r.put("ratio", (double) in / outBytes);
        r.put("tensors", reports.get());
        return r;
    }

    @Override
    protected void printHuman(Map<String, Object> r, PrintStream out) {
        out.printf("%s -> %s: %d -> %d bytes (%.2fx, %.2f%%), recipe %s%n", r.get("input"), r.get("output"), r.get("input_bytes"), r.get("output_bytes"),
                (Double) r.get("ratio"), 100.0 / (Double) r.get("ratio"), r.get("recipe"));
        if (r.containsKey("accuracy_original"))
            out.printf("accuracy %.2f%% -> %.2f%%%n", 100 * (Double) r.get("accuracy_original"), 100 * (Double) r.get("accuracy_quantized"));
    }
}
