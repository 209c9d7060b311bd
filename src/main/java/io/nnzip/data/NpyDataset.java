package io.nnzip.data;

import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.numpy.Npy;
import java.nio.file.Path;
import java.util.Map;

/**
 * Datasets stored as NumPy arrays: an .npz holding {@code x_train, y_train, x_test, y_test} (Keras layout) or
 * {@code x, y} (or {@code images, labels}). Images are (N,H,W) or (N,C,H,W) (N,H,W,C when the last axis is 1 or 3 and the second is not);
 * uint8 pixels are scaled to [0,1], float pixels are kept as they are.
 */
public final class NpyDataset {
    private NpyDataset() {}

    public static Dataset read(Path file, String split) {
        Map<String, Tensor> arrays = new java.util.LinkedHashMap<>(Npy.readAny(file));
        // A split saved as images/labels reads like x/y.
        if (!arrays.containsKey("x") && arrays.containsKey("images")) arrays.put("x", arrays.get("images"));
        if (!arrays.containsKey("y") && arrays.containsKey("labels")) arrays.put("y", arrays.get("labels"));
        if (arrays.containsKey("") || (arrays.containsKey("x") && !arrays.containsKey("y") && !arrays.containsKey("y" + (split.equals("test") ? "_test" : "_train"))))
            return inputsOnly(file.getFileName() + ":" + split, arrays.containsKey("") ? arrays.get("") : arrays.get("x"));
        String sfx = split.equals("test") ? "_test" : "_train";
        Tensor x = arrays.containsKey("x" + sfx) ? arrays.get("x" + sfx) : arrays.get("x");
        Tensor y = arrays.containsKey("y" + sfx) ? arrays.get("y" + sfx) : arrays.get("y");
        if (x == null || y == null)
            throw new NnzipException(file + ": expected arrays x_train/y_train/x_test/y_test or x/y, found " + arrays.keySet());
        return fromArrays(file.getFileName() + ":" + split, x, y);
    }

    /** An .npy (or an .npz with only x) of model inputs: calibration data without labels. */
    static Dataset inputsOnly(String name, Tensor x) {
        Dataset d = fromArrays(name, x, null);
        return Dataset.unlabelled(name, d.pixels(), d.size(), d.channels(), d.height(), d.width());
    }

    public static Dataset fromArrays(String name, Tensor x, Tensor y) {
        int[] s = x.shape();
        int n, c, h, w;
        boolean nhwc = false;
        if (s.length == 3) { n = s[0]; c = 1; h = s[1]; w = s[2]; }
        else if (s.length == 4 && (s[3] == 1 || s[3] == 3) && s[1] != 1 && s[1] != 3) { n = s[0]; h = s[1]; w = s[2]; c = s[3]; nhwc = true; }
        else if (s.length == 4) { n = s[0]; c = s[1]; h = s[2]; w = s[3]; }
        else if (s.length == 2) { n = s[0]; c = 1; h = 1; w = s[1]; }
        else throw new NnzipException(name + ": image array has shape " + java.util.Arrays.toString(s) + "; expected (N,H,W), (N,C,H,W) or (N,H,W,C)");
        if (y != null && y.size() != n) throw new NnzipException(name + ": " + y.size() + " labels for " + n + " images");
        float scale = x.dtype() == DType.UINT8 ? 1f / 255f : 1f;
        float[] px = new float[x.size()];
        int hw = h * w;
        for (int i = 0; i < px.length; i++) {
            int dst = i;
            if (nhwc) {
                int img = i / (hw * c), rem = i % (hw * c), pos = rem / c, ch = rem % c;
                dst = (img * c + ch) * hw + pos;
            }
            px[dst] = (float) x.getDouble(i) * scale;
        }
        int[] labels = new int[n];
        int classes = 1;
        for (int i = 0; y != null && i < n; i++) {
            labels[i] = (int) y.getLong(i);
            classes = Math.max(classes, labels[i] + 1);
        }
        return new Dataset(name, px, labels, c, h, w, classes);
    }
}
