package io.nnzip.arch;

import io.nnzip.ir.NnzipException;
import java.util.LinkedHashMap;
import java.util.Map;

/** Options of the SqueezeNet-style (fire module) redesign, each described; recorded in the output model's metadata. */
public record FireConfig(String layers, int minInputChannels, float squeezeRatio, float expand3Share, int fitSteps, long seed, int finetuneEpochs) {
    public static final Map<String, String> FIELDS = new LinkedHashMap<>();

    static {
        FIELDS.put("layers", "regular expression (find) on node names selecting the convolutions to redesign; null = all eligible");
        FIELDS.put("min_input_channels", "convolutions with fewer input channels (stems on raw images) are kept as they are");
        FIELDS.put("squeeze_ratio", "squeeze (1x1) channels as a share of the layer's output channels");
        FIELDS.put("expand3_share", "share of the output channels the 3x3 expand branch produces; the 1x1 expand branch produces the rest");
        FIELDS.put("fit_steps", "Adam steps fitting each new block alone to the original layer's outputs on calibration images (0 = random start only)");
        FIELDS.put("seed", "seed of the new blocks' initial weights and of fine-tuning");
        FIELDS.put("finetune_epochs", "epochs of end-to-end fine-tuning after the rewrite (0 = none)");
    }

    public FireConfig {
        if (!(squeezeRatio > 0) || squeezeRatio > 16) throw new NnzipException("redesign: --squeeze-ratio must be in (0, 16], got " + squeezeRatio);
        if (!(expand3Share > 0) || !(expand3Share < 1)) throw new NnzipException("redesign: --expand3-share must be in (0, 1), got " + expand3Share);
    }

    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("layers", layers);
        m.put("min_input_channels", minInputChannels);
        m.put("squeeze_ratio", squeezeRatio);
        m.put("expand3_share", expand3Share);
        m.put("fit_steps", fitSteps);
        m.put("seed", seed);
        m.put("finetune_epochs", finetuneEpochs);
        return m;
    }
}
