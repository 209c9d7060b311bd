package io.nnzip.arch;

import io.nnzip.ir.NnzipException;
import java.util.LinkedHashMap;
import java.util.Map;

/** Options of the wavelet-input (WAE) redesign, each described; recorded in the output model's metadata. */
public record WaveletInputConfig(int branchChannels, long seed, int finetuneEpochs) {
    public static final Map<String, String> FIELDS = new LinkedHashMap<>();

    static {
        FIELDS.put("branch_channels", "channels of the light network on the high-frequency half-resolution image");
        FIELDS.put("seed", "seed of the light branch's initial weights and of fine-tuning");
        FIELDS.put("finetune_epochs", "epochs of end-to-end fine-tuning after the rewrite (0 = none)");
    }

    public WaveletInputConfig {
        if (branchChannels < 1) throw new NnzipException("redesign: --branch-channels must be at least 1, got " + branchChannels);
    }

    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("branch_channels", branchChannels);
        m.put("seed", seed);
        m.put("finetune_epochs", finetuneEpochs);
        return m;
    }
}
