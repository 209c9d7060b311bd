package io.nnzip.arch;

import java.util.LinkedHashMap;
import java.util.Map;

/** Options of the depthwise-separable redesign, each described; recorded in the output model's metadata. */
public record RedesignConfig(String layers, int minInputChannels, int alsIterations, int maxPositions, int calibrationSamples,
                             long seed, int finetuneEpochs, int fitSteps) {
    public RedesignConfig(String layers, int minInputChannels, int alsIterations, int maxPositions, int calibrationSamples, long seed, int finetuneEpochs) {
        this(layers, minInputChannels, alsIterations, maxPositions, calibrationSamples, seed, finetuneEpochs, 0);
    }

    public static final Map<String, String> FIELDS = new LinkedHashMap<>();

    static {
        FIELDS.put("layers", "regular expression (find) on node names selecting the convolutions to redesign; null = all eligible");
        FIELDS.put("min_input_channels", "convolutions with fewer input channels (stems on raw images) are kept as they are");
        FIELDS.put("als_iterations", "alternating least-squares rounds fitting each new block to the original layer's outputs");
        FIELDS.put("max_positions", "output positions sampled per layer for the fit");
        FIELDS.put("calibration_samples", "calibration inputs used for the layer-wise fit (0 = data-free initialization only)");
        FIELDS.put("seed", "seed for position sampling and fine-tuning");
        FIELDS.put("finetune_epochs", "epochs of end-to-end fine-tuning after the rewrite (0 = none)");
        FIELDS.put("fit_steps", "adder: Adam steps fitting each adder layer with its batch normalization to the original layer's normalized outputs on the calibration images (0 = templates only)");
    }

    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("layers", layers);
        m.put("min_input_channels", minInputChannels);
        m.put("als_iterations", alsIterations);
        m.put("max_positions", maxPositions);
        m.put("calibration_samples", calibrationSamples);
        m.put("seed", seed);
        m.put("finetune_epochs", finetuneEpochs);
        m.put("fit_steps", fitSteps);
        return m;
    }
}
