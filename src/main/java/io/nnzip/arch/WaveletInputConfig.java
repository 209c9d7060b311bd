package io.nnzip.arch;

import io.nnzip.ir.NnzipException;
import java.util.LinkedHashMap;
import java.util.Map;

/** Options of the wavelet-input (WAE) redesign, each described; recorded in the output model's metadata. */
public record WaveletInputConfig(int branchChannels, String fuse, float targetMacs, long seed, int finetuneEpochs) {
    public static final Map<String, String> FIELDS = new LinkedHashMap<>();

    static {
        FIELDS.put("branch_channels", "channels of the light network on the high-frequency half-resolution image");
        FIELDS.put("fuse", "where the light branch joins the network: features (added to the first fully connected layer's output, "
                + "as a concatenation of its spatial features to that layer's input would), logits (class scores added) or input (no branch: all four "
                + "2×2 subband images, low, high and the two remaining details, are the first convolution's input channels)");
        FIELDS.put("target_macs", "fraction of the original's MACs the redesign may keep: of the stride-2 poolings whose removal fits the half-size "
                + "image, the earliest that stays within it is removed (the most resolution kept); when none does (or 0), the one leaving the fewest MACs");
        FIELDS.put("seed", "seed of the light branch's initial weights and of fine-tuning");
        FIELDS.put("finetune_epochs", "epochs of end-to-end fine-tuning after the rewrite (0 = none)");
    }

    public WaveletInputConfig {
        if (branchChannels < 1) throw new NnzipException("redesign: --branch-channels must be at least 1, got " + branchChannels);
        if (!(targetMacs >= 0 && targetMacs <= 1)) throw new NnzipException("redesign: --target-macs must be in [0, 1] (0 = remove the last pooling), got " + targetMacs);
        if (!fuse.equals("features") && !fuse.equals("logits") && !fuse.equals("input"))
            throw new NnzipException("redesign: --branch-fuse must be features, logits or input, got '" + fuse + "'");
    }

    /** Session 11's choice: the last pooling removed, whatever MACs that leaves. */
    public WaveletInputConfig(int branchChannels, String fuse, long seed, int finetuneEpochs) { this(branchChannels, fuse, 0f, seed, finetuneEpochs); }

    public WaveletInputConfig(int branchChannels, long seed, int finetuneEpochs) { this(branchChannels, "features", seed, finetuneEpochs); }

    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("branch_channels", branchChannels);
        m.put("fuse", fuse);
        m.put("target_macs", targetMacs);
        m.put("seed", seed);
        m.put("finetune_epochs", finetuneEpochs);
        return m;
    }
}
