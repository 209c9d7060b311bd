package io.nnzip.prune.criteria;

import io.nnzip.data.Batch;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import java.util.List;
import java.util.Map;

/** Structured criteria by their command-line names. */
public final class Criteria {
    public static final List<String> NAMES = List.of("l1-filter", "l2-filter", "bn-scale", "apoz", "mean-activation", "hrank", "taylor", "random");

    private Criteria() {}

    /** Whether the criterion reads activations (and so needs calibration inputs). */
    public static boolean needsData(String name) { return name.equals("taylor") || name.equals("apoz") || name.equals("mean-activation") || name.equals("hrank"); }

    public static ChannelCriterion of(String name, long seed, Iterable<Map<String, Tensor>> calibration) { return of(name, seed, calibration, null); }

    /** @param labelled labelled batches (for taylor), or null */
    public static ChannelCriterion of(String name, long seed, Iterable<Map<String, Tensor>> calibration, Iterable<Batch> labelled) {
        return switch (name) {
            case "l1-filter" -> new WeightNormCriterion(1);
            case "l2-filter" -> new WeightNormCriterion(2);
            case "bn-scale" -> new BnScaleCriterion();
            case "apoz" -> new ActivationCriterion(ActivationCriterion.Kind.APOZ, calibration);
            case "mean-activation" -> new ActivationCriterion(ActivationCriterion.Kind.MEAN, calibration);
            case "hrank" -> new ActivationCriterion(ActivationCriterion.Kind.HRANK, calibration);
            case "random" -> new RandomCriterion(seed);
            case "taylor" -> new TaylorCriterion(labelled);
            default -> throw new NnzipException("structured --method must be one of " + String.join(", ", NAMES) + ", not '" + name + "'");
        };
    }
}
