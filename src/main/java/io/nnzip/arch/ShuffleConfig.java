package io.nnzip.arch;

import io.nnzip.ir.NnzipException;
import java.util.LinkedHashMap;
import java.util.Map;

/** Options of the ShuffleNet-style redesign, each described; recorded in the output model's metadata. */
public record ShuffleConfig(String layers, int minInputChannels, int groups, float width, int fitSteps, long seed, int finetuneEpochs) {
    public static final Map<String, String> FIELDS = new LinkedHashMap<>();

    static {
        FIELDS.put("layers", "regular expression (find) on node names selecting the convolutions to redesign; null = all eligible");
        FIELDS.put("min_input_channels", "convolutions with fewer input channels (stems on raw images) are kept as they are");
        FIELDS.put("groups", "groups of both pointwise convolutions; the channel shuffle between them mixes the groups");
        FIELDS.put("width", "channels of the block's middle (depthwise) stage as a share of the layer's output channels, rounded up to a multiple of groups");
        FIELDS.put("fit_steps", "Adam steps fitting each new block alone to the original layer's outputs on calibration images (0 = random start only)");
        FIELDS.put("seed", "seed of the new blocks' initial weights and of fine-tuning");
        FIELDS.put("finetune_epochs", "epochs of end-to-end fine-tuning after the rewrite (0 = none)");
    }

    public ShuffleConfig {
        if (groups < 1) throw new NnzipException("redesign: --shuffle-groups must be at least 1, got " + groups);
        if (!(width > 0) || width > 16) throw new NnzipException("redesign: --block-width must be in (0, 16], got " + width);
    }

    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("layers", layers);
        m.put("min_input_channels", minInputChannels);
        m.put("groups", groups);
        m.put("width", width);
        m.put("fit_steps", fitSteps);
        m.put("seed", seed);
        m.put("finetune_epochs", finetuneEpochs);
        return m;
    }
}
