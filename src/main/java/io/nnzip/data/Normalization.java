package io.nnzip.data;

import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The input normalization a model expects, x' = (x − mean_c) / std_c on pixels scaled to [0,1], one pair per
 * channel (or one pair for all). It travels with the model in its ONNX metadata_props so every later command
 * applies the same transform:
 * <pre>
 * nnzip.input.mean = "0.2860"          (comma-separated, one value per channel or one for all)
 * nnzip.input.std  = "0.3530"
 * </pre>
 */
public record Normalization(float[] mean, float[] std) {
    public static final String MEAN_KEY = "nnzip.input.mean";
    public static final String STD_KEY = "nnzip.input.std";
    public static final Normalization NONE = new Normalization(new float[] {0f}, new float[] {1f});

    public Normalization {
        if (mean.length != std.length || mean.length == 0) throw new NnzipException("normalization needs as many means as stds");
        for (float s : std) if (!(s > 0)) throw new NnzipException("normalization std must be positive, got " + s);
    }

    /** Parses "MEAN,STD" or "M1,...,Mk,S1,...,Sk" (k means then k stds). */
    public static Normalization parse(String s) {
        String[] parts = s.split(",");
        if (parts.length % 2 != 0) throw new NnzipException("--normalize expects MEAN,STD (or k means then k stds), got '" + s + "'");
        float[] v = new float[parts.length];
        try {
            for (int i = 0; i < v.length; i++) v[i] = Float.parseFloat(parts[i].trim());
        } catch (NumberFormatException e) {
            throw new NnzipException("--normalize: '" + s + "' is not a list of numbers");
        }
        int k = v.length / 2;
        return new Normalization(Arrays.copyOf(v, k), Arrays.copyOfRange(v, k, 2 * k));
    }

    /** The normalization recorded in a model's metadata, or null when none is recorded. */
    public static Normalization fromMetadata(Model m) {
        String mean = m.metadata().get(MEAN_KEY), std = m.metadata().get(STD_KEY);
        if (mean == null || std == null) return null;
        return parse(mean + "," + std);
    }

    /** Records this normalization in the model's metadata. */
    public void writeTo(Model m) {
        m.metadata().put(MEAN_KEY, join(mean));
        m.metadata().put(STD_KEY, join(std));
    }

    /**
     * The rule every --data command follows: an explicit --normalize wins, then the model's metadata, then none.
     */
    public static Normalization resolve(String option, Model m) {
        if (option != null && !option.isBlank()) return parse(option);
        Normalization fromModel = m == null ? null : fromMetadata(m);
        return fromModel != null ? fromModel : NONE;
    }

    /** Per-channel mean and std of a dataset's pixels, for models trained from scratch. */
    public static Normalization measure(Dataset d) {
        int c = d.channels(), hw = d.height() * d.width();
        double[] s = new double[c], ss = new double[c];
        float[] px = d.pixels();
        for (int i = 0; i < d.size(); i++)
            for (int ch = 0; ch < c; ch++) {
                int o = (i * c + ch) * hw;
                for (int j = 0; j < hw; j++) {
                    double v = px[o + j];
                    s[ch] += v;
                    ss[ch] += v * v;
                }
            }
        float[] mean = new float[c], std = new float[c];
        long n = (long) d.size() * hw;
        for (int ch = 0; ch < c; ch++) {
            double mu = s[ch] / n;
            mean[ch] = round4(mu);
            std[ch] = round4(Math.sqrt(Math.max(1e-12, ss[ch] / n - mu * mu)));
        }
        return new Normalization(mean, std);
    }

    /** Normalizes {@code count} images of {@code c} channels (each {@code hw} pixels) in place. */
    public void apply(float[] x, int off, int count, int c, int hw) {
        if (mean.length != 1 && mean.length != c) throw new NnzipException("normalization has " + mean.length + " channels, the data has " + c);
        for (int i = 0; i < count; i++)
            for (int ch = 0; ch < c; ch++) {
                float m = mean[mean.length == 1 ? 0 : ch], inv = 1f / std[std.length == 1 ? 0 : ch];
                int o = off + (i * c + ch) * hw;
                for (int j = 0; j < hw; j++) x[o + j] = (x[o + j] - m) * inv;
            }
    }

    public boolean isIdentity() {
        for (int i = 0; i < mean.length; i++) if (mean[i] != 0f || std[i] != 1f) return false;
        return true;
    }

    public Map<String, Object> describe() { return Map.of("mean", join(mean), "std", join(std)); }

    @Override
    public String toString() { return isIdentity() ? "none ([0,1] pixels)" : "mean " + join(mean) + ", std " + join(std); }

    private static float round4(double v) { return (float) (Math.round(v * 10000) / 10000.0); }

    private static String join(float[] v) {
        return Arrays.stream(toObj(v)).map(f -> Float.toString(f)).collect(Collectors.joining(","));
    }

    private static Float[] toObj(float[] v) {
        Float[] r = new Float[v.length];
        for (int i = 0; i < v.length; i++) r[i] = v[i];
        return r;
    }

    @Override
    public boolean equals(Object o) { return o instanceof Normalization n && Arrays.equals(mean, n.mean) && Arrays.equals(std, n.std); }

    @Override
    public int hashCode() { return Arrays.hashCode(mean) * 31 + Arrays.hashCode(std); }
}
