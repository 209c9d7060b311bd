package io.nnzip.cli;

import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.engine.ModelValidator;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.quant.QuantConfig;
import io.nnzip.util.AtomicFiles;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = {"Quantizes a float ONNX model and writes standard ONNX (QDQ / DequantizeLinear / codebooks) that ONNX Runtime runs.",
                "Then compares it with the float model in ONNX Runtime: accuracy or agreement, size, latency."})
public final class QuantizeCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "MODEL", description = "The float ONNX model.")
    Path model;

    @Option(names = {"-o", "--output"}, required = true, description = "Where to write the quantized model.")
    Path output;

    @Option(names = "--scheme", defaultValue = "int8", description = "int8, dynamic-int8, int4, int2, kmeans:BITS, binary, ternary, inq:BITS, fp16, bf16, fixed16, bitsplit:BITS (bit-split PTQ), stt (soft-threshold ternary), onehot:BITS (power-of-two weights and activations) (default ${DEFAULT-VALUE}).")
    String scheme;

    @Option(names = "--per-channel", negatable = true, defaultValue = "true", fallbackValue = "true", description = "int8: per-channel weight scales (default on; --no-per-channel for per-tensor).")
    boolean perChannel;

    @Option(names = "--symmetric", description = "int8: symmetric int8 activations (zero point 0).")
    boolean symmetric;

    @Option(names = "--asymmetric", description = "int8: asymmetric uint8 activations (the default).")
    boolean asymmetric;

    @Option(names = "--calib-data", paramLabel = "DATA", description = "Calibration samples: fashion-mnist, x.npy / data.npz, synthetic (images of a DAFL generator trained against the model: no data read) or bn-stats (images of a generator trained to match the model's BatchNormalization statistics: no data read) (default: --data, else fashion-mnist).")
    String calibData;

    @Option(names = {"--calib-images", "--calib-size"}, paramLabel = "N", defaultValue = "512", description = "Calibration samples (default ${DEFAULT-VALUE}).")
    int calibSize;

    @Option(names = "--calibration", defaultValue = "minmax", description = "minmax, percentile:P, entropy or mse (default ${DEFAULT-VALUE}).")
    String calibration;

    @Option(names = "--exclude", arity = "1..*", description = "Node names to keep in float.")
    List<String> exclude = List.of();

    @Option(names = "--equalize", description = "int8: cross-layer equalization first (helps depthwise models).")
    boolean equalize;

    @Option(names = "--bias-correction", description = "int8: correct biases for the mean error of weight rounding.")
    boolean biasCorrection;

    @Option(names = "--float-shallow-convs", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "int8: keep dense convs with reduction depth < 16 (first layers on grey images) in float, where ORT is faster (default on).")
    boolean floatShallowConvs;

    @Option(names = "--int8-ops", defaultValue = "auto", description = "int8: ops with integer kernels: all, linear (weight MatMul/Gemm/Conv only), attention (linear + attention MatMuls), "
            + "auto (linear on transformers, else all) (default ${DEFAULT-VALUE}).")
    String int8Ops;

    @Option(names = "--qattention", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "int8 on transformers: each attention block's Q/K/V linears and attention as one com.microsoft QAttention (ORT or nnzip's engine runs it; default on; --no-qattention keeps standard ONNX ops).")
    boolean qattention;

    @Option(names = "--fold-layernorm", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "int8 on transformers: fold each LayerNorm's gamma/beta into the linear layers reading it and write the normalization as InstanceNormalization "
                    + "(the same function, faster in ORT; default on; --no-fold-layernorm keeps the LayerNorms).")
    boolean foldLayerNorm;

    @Option(names = "--tanh-gelu", negatable = true, description = "int8 on transformers: write the exact (erf) GELU as com.microsoft FastGelu, its tanh approximation (faster in ORT; "
            + "not the same function: differs by <= 4.8e-4). Default: only where the GELU's output is quantized with a step >= 16x that; --no-tanh-gelu: never.")
    Boolean tanhGelu;

    @Option(names = "--max-drop", paramLabel = "POINTS", description = "int8: largest accuracy drop in points; sensitive layers fall back to float until met.")
    Double maxDrop;

    @Option(names = "--eval-data", description = "Evaluation samples with labels (fashion-mnist = its test split, or data.npz with x, y).")
    String evalData;

    @Option(names = "--eval-size", defaultValue = "10000", description = "Evaluation samples (default ${DEFAULT-VALUE}).")
    int evalSize;

    @Option(names = "--weight-only", description = "Quantize weights only (int4 / int2 imply it).")
    boolean weightOnly;

    @Option(names = "--group-size", defaultValue = "64", description = "int4/int2: weights per scale (default ${DEFAULT-VALUE}).")
    int groupSize;

    @Option(names = "--container", defaultValue = "auto", description = "Weight-only schemes: nbits (MatMulNBits, ORT's 4-bit MatMul, any opset), int4 (opset 21 DequantizeLinear; smallest), int8, or float (decoded values as float initializers); "
            + "auto: nbits for transformers' MatMuls, int4 for int4/int2 where the opset allows, else int8 (ORT decodes those once at load, so they run at float speed).")
    String container;

    @Option(names = "--gptq", description = "int4/int2: GPTQ error compensation from the calibration data (per linear layer, inverse-Hessian updates).")
    boolean gptq;

    @Option(names = "--gptq-damp", defaultValue = "0.01", paramLabel = "F", description = "--gptq: damping, a fraction of the Hessian's mean diagonal (default ${DEFAULT-VALUE}).")
    double gptqDamp;

    @Option(names = "--awq", description = "int4/int2: activation-aware per-input-channel weight scaling (AWQ), exponent searched on the calibration data.")
    boolean awq;

    @Option(names = "--awq-grid", defaultValue = "20", paramLabel = "N", description = "--awq: grid steps for the exponent in [0, 1] (default ${DEFAULT-VALUE}).")
    int awqGrid;

    @Option(names = "--compact-names", negatable = true, description = "Write intermediate values, initializers and nodes under short names (v0, w0, n0, …): smaller files for exported models whose edge names are long. "
            + "Default: on for int4/int2 --weight-only (graph inputs and outputs keep their names); --no-compact-names keeps every name.")
    Boolean compactNames;

    @Option(names = "--tables", defaultValue = "int8", paramLabel = "int8|float", description = "int4/int2 --weight-only: float tables of ≥ 1024 values no linear layer reads (position/token embeddings) "
            + "stored as int8 with one scale per feature (default ${DEFAULT-VALUE}), or kept float.")
    String tables;

    @Option(names = "--smoothquant", paramLabel = "ALPHA", description = "int8: SmoothQuant migration of activation outliers into the weights with strength ALPHA in [0, 1] (folded into the preceding LayerNorm).")
    Double smoothquant;

    @Option(names = "--finetune", defaultValue = "0", paramLabel = "EPOCHS", description = "kmeans: epochs of centroid fine-tuning on --data (default ${DEFAULT-VALUE}).")
    int finetune;

    @Option(names = "--qat", defaultValue = "0", paramLabel = "EPOCHS", description = "Epochs of quantization-aware training on --data.")
    int qat;

    @Option(names = "--qat-ranges", defaultValue = "learned", description = "int8 --qat: activation ranges learned (LSQ) or ema (tracked min/max) (default ${DEFAULT-VALUE}).")
    String qatRanges;

    @Option(names = "--lr", description = "--qat / --finetune: Adam learning rate (default 0.002 for binary with --activations 01|pm1, else 1e-4).")
    Float lr;

    @Option(names = "--train-limit", hidden = true, defaultValue = "0", description = "Deprecated: --limit.")
    int trainLimit;

    @Mixin
    DataOptions dataOptions;

    @Mixin
    SparkTraining spark;

    @Option(names = "--activations", defaultValue = "none", description = "binary: none (weights only), 01 ({0,1} activations, learned threshold) or pm1 (±1, XNOR); "
            + "binarized layers run on popcounts in nnzip's engine (default ${DEFAULT-VALUE}).")
    String activations;

    @Option(names = "--float-ends", negatable = true, defaultValue = "true", fallbackValue = "true", description = "binary --activations: keep the first and last weight layers float (default on).")
    boolean floatEnds;

    @Option(names = "--half-io", description = "fp16: graph inputs and outputs float16 too (default: they stay float32).")
    boolean halfIo;

    @Option(names = "--latency-batch", defaultValue = "256", description = "Batch for the latency comparison, 0 to skip (default ${DEFAULT-VALUE}).")
    int latencyBatch;

    @Option(names = "--threads", paramLabel = "N", description = "ONNX Runtime threads (default: all cores).")
    int threads = OptionRules.CORES;

    @Override
    protected Map<String, Object> execute() {
        if (symmetric && asymmetric) throw new NnzipException("--symmetric and --asymmetric exclude each other");
        QuantConfig c = new QuantConfig();
        c.scheme = scheme;
        c.perChannel = perChannel;
        c.symmetric = symmetric;
        c.calibration = calibration;
        c.calibSize = calibSize;
        c.exclude.addAll(exclude);
        c.equalize = equalize;
        c.biasCorrection = biasCorrection;
        c.maxDrop = maxDrop == null ? -1 : maxDrop;
        c.floatShallowConvs = floatShallowConvs;
        c.int8Ops = int8Ops;
        c.qattention = qattention;
        c.foldLayerNorm = foldLayerNorm;
        c.tanhGelu = tanhGelu == null ? "auto" : tanhGelu ? "on" : "off";
        c.weightOnly = weightOnly;
        c.groupSize = groupSize;
        c.container = container;
        c.gptq = gptq;
        c.gptqDamp = gptqDamp;
        c.awq = awq;
        c.awqGrid = awqGrid;
        c.smoothquant = smoothquant == null ? -1 : smoothquant;
        c.compactNames = compactNames == null ? "auto" : compactNames ? "on" : "off";
        c.tables = tables;
        c.finetune = finetune;
        c.qat = qat;
        c.qatRanges = qatRanges;
        c.threads = threads;
        c.lr = lr;
        c.trainLimit = trainLimit > 0 ? trainLimit : dataOptions.limit;
        c.activations = activations;
        c.binaryFloatEnds = floatEnds;
        c.halfIo = halfIo;
        if (maxDrop != null && evalData == null) throw new NnzipException("--max-drop needs --eval-data (labelled samples to measure the drop on)");
        if ((finetune > 0 || qat > 0) && dataOptions.data == null) throw new NnzipException("--finetune / --qat need --data");
        if (spark.enabled() && qat <= 0) throw new NnzipException("--spark runs quantize's --qat training on Spark workers: add --qat EPOCHS (calibration and export stay here)");
        if (spark.enabled() && (io.nnzip.quant.Scheme.parse(scheme).kind() != io.nnzip.quant.Scheme.Kind.INT8 || weightOnly))
            throw new NnzipException("--spark trains int8 --qat only; --scheme " + scheme + (weightOnly ? " --weight-only" : "") + " trains here: drop --spark");
        c.latencyBatch = latencyBatch;
        Model m = ModelValidator.read(model);
        boolean bnStats = "bn-stats".equals(calibData), synthetic = bnStats || "synthetic".equals(calibData);
        io.nnzip.data.DataSplits splits = io.nnzip.data.DataSplits.load(dataOptions.data, 0)
                .withCalibration(synthetic ? null : calibData != null ? calibData : dataOptions.data != null ? null : "fashion-mnist", 0)
                .withValidation(evalData == null ? null : io.nnzip.data.Datasets.load(evalData, "test").head(evalSize))
                .normalized(dataOptions.normalize == null ? null : io.nnzip.data.Normalization.parse(dataOptions.normalize));
        if (bnStats) {
            io.nnzip.distill.DataFree.requireBatchNorm(m);
            note("training a generator to match the model's BatchNormalization statistics for calibration images");
            splits = splits.withCalibration(io.nnzip.distill.DataFree.bnStatsImages(m, splits.normalization(m), calibSize, 5, 1, threads));
        } else if (synthetic) {
            note("training a DAFL generator against the model for synthetic calibration images");
            splits = splits.withCalibration(io.nnzip.distill.DataFree.calibrationImages(m, splits.normalization(m), calibSize, 5, 1, threads));
        }
        io.nnzip.pass.PassResult out = c.run(m, io.nnzip.pass.PassContext.builder().data(splits).threads(threads).log(this::note)
                .remote(spark.remote(dataOptions.data, c.trainLimit)).build());
        Map<String, Object> r = new java.util.LinkedHashMap<>(out.report());
        AtomicFiles.write(output, OnnxWriter.toBytes(out.model()));
        r.put("written", output.toString());
        return r;
    }

    @Override
    @SuppressWarnings("unchecked")
    protected void printHuman(Map<String, Object> r, PrintStream out) {
        out.println("quantized (" + r.get("scheme") + ") -> " + r.get("written"));
        Object cmp = r.get("comparison");
        if (cmp instanceof Map<?, ?> m) ((Map<String, Object>) m).forEach((k, v) -> out.printf("  %-20s %s%n", k, v));
        if (r.get("exchange_ratio") != null) out.println("  --qat on Spark: exchange ratio " + r.get("exchange_ratio") + " of float32, " + r.get("bytes_per_step") + " bytes per round");
        Object fb = r.get("fallback");
        if (fb != null) out.println("  float fallback: " + fb);
        Object layers = r.get("layers");
        if (layers instanceof List<?> ls) {
            out.println("  per-layer:");
            for (Object o : ls) out.println("    " + o);
        }
    }
}
