package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ops.support.Rules;
import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import io.nnzip.ir.UnsupportedOpException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * TfIdfVectorizer: counts the pool's n-grams (lengths min..max, items up to max_skip_count apart) in each row and
 * emits TF, IDF or TFIDF values at the n-grams' output indexes. Unigrams are counted once whatever the skip.
 * Registered by {@link MiscOps}.
 */
final class TfIdfOps {
    private TfIdfOps() {}

    static void register() {
        OpRegistry.register("TfIdfVectorizer", TfIdfOps::run, (n, in, o) -> {
            int[] s = in[0].shape();
            int width = width(n);
            return Rules.one(DType.FLOAT, s == null ? null : s.length == 1 ? new int[] {width} : new int[] {s[0], width});
        });
    }

    private static int width(Node n) {
        long max = -1;
        for (long v : n.attrInts("ngram_indexes", new long[0])) max = Math.max(max, v);
        return (int) max + 1;
    }

    // x: (C) or (N, C) of int or string tokens -> float (W) or (N, W)
    private static Tensor[] run(Node n, Tensor[] in, ExecContext ctx) {
        Tensor x = in[0];
        int[] s = x.shape();
        if (s.length < 1 || s.length > 2) throw new NnzipException("TfIdfVectorizer: input must be (C) or (N, C), got " + Shapes.str(s));
        int minN = (int) n.attrInt("min_gram_length", 1), maxN = (int) n.attrInt("max_gram_length", 1), maxSkip = (int) n.attrInt("max_skip_count", 0);
        String mode = n.attrString("mode", "TF");
        if (!mode.matches("TF|IDF|TFIDF")) throw new UnsupportedOpException("TfIdfVectorizer mode=" + mode);
        long[] counts = n.attrInts("ngram_counts", new long[0]), indexes = n.attrInts("ngram_indexes", new long[0]);
        float[] weights = n.attrFloats("weights", null);
        List<Object> pool = pool(n, x.dtype());
        // n-gram (as a list of tokens) -> output column
        Map<List<Object>, Integer> column = new HashMap<>();
        int k = 0;
        for (int g = 0; g < counts.length; g++) {
            int len = g + 1, start = (int) counts[g], end = g + 1 < counts.length ? (int) counts[g + 1] : pool.size();
            for (int p = start; p + len <= end; p += len, k++) column.put(pool.subList(p, p + len), (int) indexes[k]);
        }
        int W = width(n), rows = s.length == 1 ? 1 : s[0], C = s[s.length - 1];
        float[] y = new float[rows * W];
        for (int r = 0; r < rows; r++) {
            List<Object> row = new ArrayList<>();
            for (int c = 0; c < C; c++) row.add(token(x, r * C + c));
            double[] tf = new double[W];
            for (int len = Math.max(1, minN); len <= maxN; len++)
                for (int skip = 0; skip <= (len == 1 ? 0 : maxSkip); skip++) {
                    int step = skip + 1;
                    for (int i = 0; i + (len - 1) * step < C; i++) {
                        List<Object> gram = new ArrayList<>(len);
                        for (int j = 0; j < len; j++) gram.add(row.get(i + j * step));
                        Integer col = column.get(gram);
                        if (col != null) tf[col]++;
                    }
                }
            for (int c = 0; c < W; c++) {
                double w = weights == null ? 1 : weights[c];
                y[r * W + c] = (float) switch (mode) {
                    case "TF" -> tf[c];
                    case "IDF" -> tf[c] > 0 ? w : 0;
                    default -> tf[c] * w;
                };
            }
        }
        return new Tensor[] {Tensor.of(y, s.length == 1 ? new int[] {W} : new int[] {rows, W})};
    }

    private static List<Object> pool(Node n, DType t) {
        List<Object> pool = new ArrayList<>();
        if (t == DType.STRING) {
            var a = n.attr("pool_strings");
            if (a == null) throw new NnzipException("TfIdfVectorizer: string input needs pool_strings");
            for (String v : (String[]) a.value()) pool.add(v);
        } else {
            long[] v = n.attrInts("pool_int64s", null);
            if (v == null) throw new NnzipException("TfIdfVectorizer: integer input needs pool_int64s");
            for (long l : v) pool.add(l);
        }
        return pool;
    }

    private static Object token(Tensor x, int i) { return x.dtype() == DType.STRING ? x.strings()[i] : (Object) x.getLong(i); }
}
