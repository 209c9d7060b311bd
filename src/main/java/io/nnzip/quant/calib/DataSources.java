package io.nnzip.quant.calib;

import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.ValueInfo;
import io.nnzip.numpy.Npy;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * Where calibration and evaluation samples come from: {@code fashion-mnist} (the IDX files on this machine;
 * calibration reads the training split, evaluation the test split) or a NumPy file ({@code x.npy}, or an
 * {@code .npz} with arrays {@code x} and optionally {@code y}). Pixels are scaled to [0, 1] and then normalized
 * with the model's metadata {@code nnzip.input.mean} / {@code nnzip.input.std} when it records them.
 */
public final class DataSources {
    public static final Path FASHION_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    public static final String MEAN_KEY = "nnzip.input.mean", STD_KEY = "nnzip.input.std";

    private DataSources() {}

    public static LabeledData load(String spec, Model model, int limit, boolean trainSplit) {
        LabeledData d;
        if (spec.equalsIgnoreCase("fashion-mnist") || spec.equalsIgnoreCase("fashion_mnist")) d = fashion(trainSplit, limit, model);
        else d = numpy(Path.of(spec), limit);
        return new LabeledData(fitToInput(d.inputs(), model), d.labels());
    }

    static LabeledData fashion(boolean train, int limit, Model model) {
        String p = train ? "train" : "t10k";
        Path images = FASHION_DIR.resolve(p + "-images-idx3-ubyte.gz"), labels = FASHION_DIR.resolve(p + "-labels-idx1-ubyte.gz");
        io.nnzip.data.DataPackages.ensure("fashion-mnist", labels);
        io.nnzip.data.DataPackages.ensure("fashion-mnist", images);
        float mean = metaFloat(model, MEAN_KEY, 0f), std = metaFloat(model, STD_KEY, 1f);
        try (DataInputStream in = new DataInputStream(gz(images)); DataInputStream lin = new DataInputStream(gz(labels))) {
            if (in.readInt() != 2051 || lin.readInt() != 2049) throw new NnzipException("bad IDX magic in " + images.getParent());
            int n = Math.min(in.readInt(), limit), h = in.readInt(), w = in.readInt();
            lin.readInt();
            byte[] px = new byte[n * h * w];
            in.readFully(px);
            byte[] lb = new byte[n];
            lin.readFully(lb);
            float[] x = new float[px.length];
            for (int i = 0; i < px.length; i++) x[i] = ((px[i] & 0xFF) / 255f - mean) / std;
            int[] y = new int[n];
            for (int i = 0; i < n; i++) y[i] = lb[i];
            return new LabeledData(Tensor.of(x, n, 1, h, w), y);
        } catch (IOException e) {
            throw new NnzipException("cannot read Fashion-MNIST: " + e.getMessage());
        }
    }

    private static InputStream gz(Path p) throws IOException { return new GZIPInputStream(Files.newInputStream(p), 1 << 16); }

    static float metaFloat(Model m, String key, float dflt) {
        String v = m.metadata().get(key);
        if (v == null) return dflt;
        try {
            return Float.parseFloat(v.trim().replace("[", "").replace("]", "").split(",")[0]);
        } catch (NumberFormatException e) {
            throw new NnzipException("model metadata " + key + " is not a number: '" + v + "'");
        }
    }

    static LabeledData numpy(Path p, int limit) {
        if (!Files.exists(p)) throw new NnzipException("data file not found: " + p + " (use fashion-mnist or an .npy/.npz)");
        Map<String, Tensor> arrays = Npy.readAny(p);
        Tensor x = arrays.containsKey("") ? arrays.get("") : arrays.get("x");
        if (x == null) throw new NnzipException(p + " needs an array named x (it has " + arrays.keySet() + ")");
        Tensor y = arrays.get("y");
        x = x.dtype() == io.nnzip.ir.DType.FLOAT ? x : Tensor.of(x.toFloats(), x.shape());
        int[] labels = null;
        if (y != null) {
            labels = new int[y.size()];
            for (int i = 0; i < labels.length; i++) labels[i] = (int) y.getLong(i);
        }
        LabeledData d = new LabeledData(x, labels);
        return d.head(limit);
    }

    /** Reshapes samples to the model input's rank ((N,784) ↔ (N,1,28,28)) when the element counts agree. */
    static Tensor fitToInput(Tensor x, Model m) {
        ValueInfo in = m.graph().runtimeInputs().get(0);
        int[] want = in.concreteShape(-1);
        if (want == null || want.length == x.rank()) return x;
        int per = x.size() / x.dim(0), wantPer = 1;
        for (int i = 1; i < want.length; i++) wantPer *= want[i];
        if (wantPer != per || want.length < 2) throw new NnzipException("data samples have " + per + " values, the model input '" + in.name() + "' takes " + in.shapeString());
        want[0] = x.dim(0);
        return x.reshape(want);
    }
}
