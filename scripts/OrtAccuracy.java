// Fashion-MNIST test accuracy (images /255, batch 256, 2 threads) of each model in ONNX Runtime, for files nnzip's IR
// cannot read (com.microsoft ops); the second model's logits compared with the first's, every later model's with the
// second's (max |difference|, top-1 agreement). -Dn=N: first N test images (default 10000). -Dmean=M -Dstd=S: inputs
// (x/255 - M)/S, for models trained with their own normalization (default: none).
// Run: java -cp "target/nnzip.jar:target/lib/*" scripts/OrtAccuracy.java float.onnx int8.onnx variant.onnx ...
import ai.onnxruntime.*;
import java.io.*;
import java.nio.FloatBuffer;
import java.util.*;
import java.util.zip.GZIPInputStream;

public class OrtAccuracy {
    static byte[] read(String f) throws IOException {
        try (InputStream in = new GZIPInputStream(new FileInputStream(f))) { return in.readAllBytes(); }
    }
    public static void main(String[] a) throws Exception {
        String d = "/usr/share/datasets/fashion-mnist/";
        byte[] img = read(d + "t10k-images-idx3-ubyte.gz"), lab = read(d + "t10k-labels-idx1-ubyte.gz");
        int n = Integer.getInteger("n", 10000);
        float mean = Float.parseFloat(System.getProperty("mean", "0")), std = Float.parseFloat(System.getProperty("std", "1"));
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        float[][][] logits = new float[a.length][][];
        for (int m = 0; m < a.length; m++) {
            OrtSession.SessionOptions o = new OrtSession.SessionOptions();
            o.setIntraOpNumThreads(2);
            try (OrtSession s = env.createSession(a[m], o)) {
                logits[m] = new float[n][];
                int correct = 0;
                for (int b0 = 0; b0 < n; b0 += 256) {
                    int bs = Math.min(256, n - b0);
                    float[] x = new float[bs * 784];
                    for (int i = 0; i < x.length; i++) x[i] = ((img[16 + b0 * 784 + i] & 0xff) / 255f - mean) / std;
                    try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {bs, 1, 28, 28});
                         OrtSession.Result r = s.run(Map.of(s.getInputNames().iterator().next(), t))) {
                        float[][] y = (float[][]) r.get(0).getValue();
                        for (int i = 0; i < bs; i++) {
                            logits[m][b0 + i] = y[i];
                            int arg = 0;
                            for (int j = 1; j < y[i].length; j++) if (y[i][j] > y[i][arg]) arg = j;
                            if (arg == lab[8 + b0 + i]) correct++;
                        }
                    }
                }
                // reference for the logit comparison: the first model for the second, the second for the rest
                int ref = m == 1 ? 0 : 1;
                double maxd = 0;
                int agree = 0;
                if (m > 0) for (int i = 0; i < n; i++) {
                    int a1 = 0, a2 = 0;
                    for (int j = 0; j < logits[m][i].length; j++) {
                        maxd = Math.max(maxd, Math.abs(logits[m][i][j] - logits[ref][i][j]));
                        if (logits[m][i][j] > logits[m][i][a1]) a1 = j;
                        if (logits[ref][i][j] > logits[ref][i][a2]) a2 = j;
                    }
                    if (a1 == a2) agree++;
                }
                System.out.printf("%s acc %.2f %% (n=%d); vs %s: max|dlogit| %.4f, top-1 agree %d%n", a[m], 100.0 * correct / n, n,
                        m == 0 ? "-" : a[ref], maxd, agree);
            }
        }
    }
}
