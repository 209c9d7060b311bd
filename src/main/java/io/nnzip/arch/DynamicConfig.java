package io.nnzip.arch;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Options of the early-exit (anytime) pass, each described; recorded in the output model's metadata. */
public record DynamicConfig(List<String> exits, double threshold, int headGrid, int headEpochs, float headLr, float headL2,
                            String training, int trainSamples, long seed, int jointEpochs, float jointLr, double[] exitWeights) {
    /** Frozen-backbone heads only (no joint phase). */
    public DynamicConfig(List<String> exits, double threshold, int headGrid, int headEpochs, float headLr, float headL2, String training,
                         int trainSamples, long seed) {
        this(exits, threshold, headGrid, headEpochs, headLr, headL2, training, trainSamples, seed, 0, 0f, null);
    }

    public static final Map<String, String> FIELDS = new LinkedHashMap<>();

    static {
        FIELDS.put("exits", "values (or nodes) after which a classifier head is attached, in network order");
        FIELDS.put("threshold", "confidence (top softmax probability) at which a sample leaves at an exit");
        FIELDS.put("head_grid", "heads average-pool a feature map to a G×G grid before their linear layer (1 = global mean)");
        FIELDS.put("head_epochs", "epochs fitting each head on cached features");
        FIELDS.put("head_lr", "Adam learning rate of the head fit (cosine decay)");
        FIELDS.put("head_l2", "L2 penalty on head weights");
        FIELDS.put("training", "frozen: backbone fixed, heads fitted on its features; joint: after that fit, backbone and heads trained together");
        FIELDS.put("joint_epochs", "epochs of joint training (joint only)");
        FIELDS.put("joint_lr", "Adam learning rate of joint training, cosine decay (joint only)");
        FIELDS.put("exit_weights", "weight of each exit's cross-entropy in the joint loss, final output last (joint only)");
        FIELDS.put("train_samples", "training images used for the heads (0 = all)");
        FIELDS.put("seed", "seed of the head fit's shuffling");
    }

    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("exits", exits);
        m.put("threshold", threshold);
        m.put("head_grid", headGrid);
        m.put("head_epochs", headEpochs);
        m.put("head_lr", headLr);
        m.put("head_l2", headL2);
        m.put("training", training);
        m.put("train_samples", trainSamples);
        if (training.equals("joint")) {
            m.put("joint_epochs", jointEpochs);
            m.put("joint_lr", jointLr);
            m.put("exit_weights", exitWeights);
        }
        m.put("seed", seed);
        return m;
    }
}
