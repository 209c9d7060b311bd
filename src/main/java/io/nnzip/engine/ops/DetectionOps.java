package io.nnzip.engine.ops;

import io.nnzip.engine.ExecContext;
import io.nnzip.engine.OpRegistry;
import io.nnzip.engine.ops.support.Index;
import io.nnzip.engine.ops.support.Rules;
import io.nnzip.engine.ops.support.Values;
import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Node;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import java.util.ArrayList;
import java.util.List;

/** NonMaxSuppression: greedy per (batch, class) selection by score, dropping boxes that overlap a kept one. */
final class DetectionOps {
    private DetectionOps() {}

    static void register() {
        OpRegistry.register("NonMaxSuppression", DetectionOps::nms, (n, in, o) -> Rules.one(DType.INT64, new int[] {-1, 3}));
    }

    // boxes: (B, N, 4), scores: (B, C, N) -> selected: int64 (K, 3) rows of (batch, class, box)
    private static Tensor[] nms(Node n, Tensor[] in, ExecContext ctx) {
        int[] bs = in[0].shape(), ss = in[1].shape();
        if (bs.length != 3 || bs[2] != 4 || ss.length != 3 || ss[0] != bs[0] || ss[2] != bs[1])
            throw new NnzipException("NonMaxSuppression: boxes " + Shapes.str(bs) + " and scores " + Shapes.str(ss) + " do not fit (B,N,4) and (B,C,N)");
        int B = bs[0], N = bs[1], C = ss[1];
        long max = in.length > 2 && in[2] != null ? in[2].getLong(0) : 0;
        double iouMax = Index.scalar(in.length > 3 ? in[3] : null, 0);
        Tensor st = in.length > 4 ? in[4] : null;
        boolean center = n.attrInt("center_point_box", 0) == 1;
        double[] box = Values.doubles(in[0]), score = Values.doubles(in[1]);
        List<long[]> picked = new ArrayList<>();
        for (int b = 0; b < B; b++)
            for (int c = 0; c < C; c++) {
                List<Integer> cand = new ArrayList<>();
                for (int i = 0; i < N; i++) if (st == null || score[(b * C + c) * N + i] > st.getDouble(0)) cand.add(i);
                int sb = (b * C + c) * N;
                cand.sort((p, q) -> {
                    int cmp = Double.compare(score[sb + q], score[sb + p]);
                    return cmp != 0 ? cmp : Integer.compare(p, q);
                });
                List<Integer> kept = new ArrayList<>();
                for (int i : cand) {
                    if (kept.size() >= max) break;
                    boolean ok = true;
                    for (int k : kept) if (iou(box, (b * N + i) * 4, (b * N + k) * 4, center) > iouMax) { ok = false; break; }
                    if (ok) kept.add(i);
                }
                for (int k : kept) picked.add(new long[] {b, c, k});
            }
        long[] out = new long[picked.size() * 3];
        for (int i = 0; i < picked.size(); i++) System.arraycopy(picked.get(i), 0, out, i * 3, 3);
        return new Tensor[] {Tensor.ofLongs(out, picked.size(), 3)};
    }

    /** Intersection over union of two boxes given as corners (y1,x1,y2,x2 in any order) or center (xc,yc,w,h). */
    private static double iou(double[] b, int p, int q, boolean center) {
        double[] a = corners(b, p, center), c = corners(b, q, center);
        double ih = Math.min(a[2], c[2]) - Math.max(a[0], c[0]), iw = Math.min(a[3], c[3]) - Math.max(a[1], c[1]);
        double areaA = (a[2] - a[0]) * (a[3] - a[1]), areaC = (c[2] - c[0]) * (c[3] - c[1]);
        if (ih <= 0 || iw <= 0 || areaA <= 0 || areaC <= 0) return 0;
        double inter = ih * iw;
        return inter / (areaA + areaC - inter);
    }

    /** (ymin, xmin, ymax, xmax). */
    private static double[] corners(double[] b, int o, boolean center) {
        if (center) {
            double xc = b[o], yc = b[o + 1], w = b[o + 2], h = b[o + 3];
            return new double[] {yc - h / 2, xc - w / 2, yc + h / 2, xc + w / 2};
        }
        return new double[] {Math.min(b[o], b[o + 2]), Math.min(b[o + 1], b[o + 3]), Math.max(b[o], b[o + 2]), Math.max(b[o + 1], b[o + 3])};
    }
}
