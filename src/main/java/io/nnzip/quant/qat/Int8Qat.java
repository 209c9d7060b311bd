package io.nnzip.quant.qat;

import io.nnzip.data.Dataset;
import io.nnzip.data.Normalization;
import io.nnzip.ir.NnzipException;
import io.nnzip.quant.QuantConfig;
import io.nnzip.quant.QuantParams;
import io.nnzip.quant.StaticInt8Quantizer;
import io.nnzip.quant.qdq.QdqWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * --qat for the int8 scheme: calibrate and plan as PTQ does, train the prepared model with exactly that
 * quantization simulated ({@link ActivationQat}), then hand the trained weights and activation ranges back to the
 * quantizer, whose ordinary QDQ export then writes them.
 */
public final class Int8Qat {
    private Int8Qat() {}

    public static ActivationQat.Result run(StaticInt8Quantizer q, QuantConfig cfg, Dataset train, Normalization norm, Consumer<String> log) {
        return run(q, cfg, train, norm, null, log);
    }

    /** With {@code remote} (not null) the training runs data-parallel there; the calibration and export stay here. */
    public static ActivationQat.Result run(StaticInt8Quantizer q, QuantConfig cfg, Dataset train, Normalization norm, io.nnzip.pass.RemoteTraining remote,
                                           Consumer<String> log) {
        ActivationQat.Ranges ranges = switch (cfg.qatRanges.toLowerCase(Locale.ROOT)) {
            case "learned" -> ActivationQat.Ranges.LEARNED;
            case "ema" -> ActivationQat.Ranges.EMA;
            default -> throw new NnzipException("--qat-ranges must be learned or ema, not '" + cfg.qatRanges + "'");
        };
        StaticInt8Quantizer.Result ptq = q.quantize();
        Map<String, QuantParams> initial = new LinkedHashMap<>();
        ptq.activationParams().forEach((t, p) -> {
            if (ptq.plan().scaleSource(t).equals(t)) initial.put(t, p);
        });
        Map<String, Integer> weights = new LinkedHashMap<>();
        // per-tensor weights have axis -1; their projection ignores the axis
        for (QdqWriter.WeightLayer l : ptq.layers()) weights.put(l.weight(), Math.max(0, l.w().params().axis()));
        Dataset data = train.head(cfg.trainLimit);
        log.accept("QAT: " + initial.size() + " activation ranges (" + ranges.name().toLowerCase(Locale.ROOT) + "), " + weights.size() + " int8 weight layers, "
                + data.size() + " training images");
        ActivationQat.Result r = ActivationQat.train(q.prepared(), initial, weights, cfg.perChannel, ranges, data, norm, cfg.qat, 128, cfg.lr(),
                cfg.threads, cfg.seed, remote, log);
        q.useTrainedActivations(r.activations());
        return r;
    }
}
