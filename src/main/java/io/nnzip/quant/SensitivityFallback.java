package io.nnzip.quant;

import io.nnzip.ir.Model;
import io.nnzip.quant.calib.LabeledData;
import io.nnzip.quant.report.Predictions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Keeps the accuracy drop of int8 PTQ within a bound by returning the most sensitive layers to float. A layer's
 * sensitivity is the output error (MSE of the logits against the float model) when it alone is quantized; layers
 * fall back in decreasing order of sensitivity until the drop on the evaluation data is within bound.
 */
public final class SensitivityFallback {
    public record Outcome(StaticInt8Quantizer.Result result, List<String> fellBack, Map<String, Double> sensitivity, double drop) {}

    private SensitivityFallback() {}

    public static Outcome run(StaticInt8Quantizer q, Model floatModel, LabeledData eval, double maxDrop, int threads, Consumer<String> log) {
        Predictions ref = Predictions.of(floatModel, eval, 256, threads);
        double floatAcc = ref.accuracy(eval.labels());
        StaticInt8Quantizer.Result r = q.quantize();
        double drop = floatAcc - Predictions.of(r.model(), eval, 256, threads).accuracy(eval.labels());
        Map<String, Double> sens = new LinkedHashMap<>();
        List<String> fell = new ArrayList<>();
        if (drop <= maxDrop) return new Outcome(r, fell, sens, drop);
        LabeledData probe = eval.head(1000);
        Predictions probeRef = Predictions.of(floatModel, probe, 256, threads);
        List<String> layers = q.weightLayers();
        for (String l : layers) {
            Set<String> others = new LinkedHashSet<>(layers);
            others.remove(l);
            others.addAll(q.config().exclude);
            sens.put(l, Predictions.of(q.quantize(others).model(), probe, 256, threads).mse(probeRef));
        }
        List<String> order = new ArrayList<>(layers);
        order.sort(Comparator.comparingDouble((String l) -> sens.get(l)).reversed());
        Set<String> exclude = new LinkedHashSet<>(q.config().exclude);
        for (String l : order) {
            exclude.add(l);
            fell.add(l);
            r = q.quantize(exclude);
            drop = floatAcc - Predictions.of(r.model(), eval, 256, threads).accuracy(eval.labels());
            log.accept(String.format("float fallback of %s: drop %.3f points", l, drop));
            if (drop <= maxDrop) break;
        }
        return new Outcome(r, fell, sens, drop);
    }
}
