package io.nnzip.engine.kernels;

import io.nnzip.eval.bench.Timer;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Whether one-hot weights (±2^e) pay as shift-add: Y (n×m) = W (n×k) · X (k×m), the same loop structure both ways
 * (per output row, four accumulator vectors over a block of batch columns, one broadcast weight per input row),
 * once with float FMAs and once with 16-bit fixed-point activations shifted left by e and added or subtracted
 * (twice the lanes per vector, two instructions per weight instead of one), and the engine's dense kernel (packed
 * weights, register-blocked micro-kernel) on the same product. One thread; interleaved rounds; best calling-thread CPU.
 * <pre>java ... OneHotShiftBenchMain N K M ROUNDS</pre>
 */
public final class OneHotShiftBenchMain {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Short> H = ShortVector.SPECIES_PREFERRED;

    public static void main(String[] args) {
        int n = Integer.parseInt(args[0]), k = Integer.parseInt(args[1]), m = Integer.parseInt(args[2]), rounds = Integer.parseInt(args[3]);
        SplittableRandom r = new SplittableRandom(1);
        float[] wf = new float[n * k], xf = new float[k * m], yf = new float[n * m];
        byte[] e = new byte[n * k];
        boolean[] neg = new boolean[n * k];
        short[] xs = new short[k * m], ys = new short[n * m];
        for (int i = 0; i < n * k; i++) {
            e[i] = (byte) r.nextInt(4);
            neg[i] = r.nextBoolean();
            wf[i] = (neg[i] ? -1 : 1) * (1 << e[i]);
        }
        for (int i = 0; i < k * m; i++) {
            xs[i] = (short) r.nextInt(4);
            xf[i] = xs[i];
        }
        // per output row: exponents and input rows of the positive weights, then of the negative ones
        int[][] posRow = new int[n][], negRow = new int[n][];
        int[][] posE = new int[n][], negE = new int[n][];
        for (int o = 0; o < n; o++) {
            int np = 0;
            for (int c = 0; c < k; c++) if (!neg[o * k + c]) np++;
            posRow[o] = new int[np];
            posE[o] = new int[np];
            negRow[o] = new int[k - np];
            negE[o] = new int[k - np];
            for (int c = 0, a = 0, b = 0; c < k; c++)
                if (!neg[o * k + c]) {
                    posRow[o][a] = c * m;
                    posE[o][a++] = e[o * k + c];
                } else {
                    negRow[o][b] = c * m;
                    negE[o][b++] = e[o * k + c];
                }
        }
        int lf = F.length(), lh = H.length();
        Runnable fma = () -> {
            for (int o = 0; o < n; o++)
                for (int j = 0; j < m; j += 4 * lf) {
                    FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                    for (int c = 0; c < k; c++) {
                        FloatVector w = FloatVector.broadcast(F, wf[o * k + c]);
                        int at = c * m + j;
                        a0 = FloatVector.fromArray(F, xf, at).fma(w, a0);
                        a1 = FloatVector.fromArray(F, xf, at + lf).fma(w, a1);
                        a2 = FloatVector.fromArray(F, xf, at + 2 * lf).fma(w, a2);
                        a3 = FloatVector.fromArray(F, xf, at + 3 * lf).fma(w, a3);
                    }
                    a0.intoArray(yf, o * m + j);
                    a1.intoArray(yf, o * m + j + lf);
                    a2.intoArray(yf, o * m + j + 2 * lf);
                    a3.intoArray(yf, o * m + j + 3 * lf);
                }
        };
        Runnable shift = () -> {
            for (int o = 0; o < n; o++)
                for (int j = 0; j < m; j += 4 * lh) {
                    ShortVector a0 = ShortVector.zero(H), a1 = a0, a2 = a0, a3 = a0;
                    int[] pr = posRow[o], pe = posE[o], nr = negRow[o], ne = negE[o];
                    for (int p = 0; p < pr.length; p++) {
                        int at = pr[p] + j, s = pe[p];
                        a0 = a0.add(ShortVector.fromArray(H, xs, at).lanewise(VectorOperators.LSHL, s));
                        a1 = a1.add(ShortVector.fromArray(H, xs, at + lh).lanewise(VectorOperators.LSHL, s));
                        a2 = a2.add(ShortVector.fromArray(H, xs, at + 2 * lh).lanewise(VectorOperators.LSHL, s));
                        a3 = a3.add(ShortVector.fromArray(H, xs, at + 3 * lh).lanewise(VectorOperators.LSHL, s));
                    }
                    for (int p = 0; p < nr.length; p++) {
                        int at = nr[p] + j, s = ne[p];
                        a0 = a0.sub(ShortVector.fromArray(H, xs, at).lanewise(VectorOperators.LSHL, s));
                        a1 = a1.sub(ShortVector.fromArray(H, xs, at + lh).lanewise(VectorOperators.LSHL, s));
                        a2 = a2.sub(ShortVector.fromArray(H, xs, at + 2 * lh).lanewise(VectorOperators.LSHL, s));
                        a3 = a3.sub(ShortVector.fromArray(H, xs, at + 3 * lh).lanewise(VectorOperators.LSHL, s));
                    }
                    a0.intoArray(ys, o * m + j);
                    a1.intoArray(ys, o * m + j + lh);
                    a2.intoArray(ys, o * m + j + 2 * lh);
                    a3.intoArray(ys, o * m + j + 3 * lh);
                }
        };
        PackedWeights packed = PackedWeights.pack(wf, 0, k, n, k);
        float[] yp = new float[packed.paddedRows() * m];
        Runnable engine = () -> packed.multiply(xf, 0, m, m, yp, 0, m, null);
        Timer.Result[] res = Timer.interleaved(new Runnable[] {fma, shift, engine}, 3000, rounds, 50);
        long bad = 0;
        for (int i = 0; i < n * m; i++) if (ys[i] != (short) yf[i] || yp[i] != yf[i]) bad++;
        double macs = (double) n * k * m;
        System.out.printf("%d<-%d, batch %d: float FMA %.3f ms CPU (%.1f MACs/ns), int16 shift-add %.3f ms (%.1f MACs/ns): shift-add/FMA time %.2fx; engine's packed GEMM %.3f ms (%.1f MACs/ns): shift-add/engine %.2fx; mismatches %d%n",
                n, k, m, res[0].bestCpuMs(), macs / res[0].bestCpuMs() / 1e6, res[1].bestCpuMs(), macs / res[1].bestCpuMs() / 1e6,
                res[1].bestCpuMs() / res[0].bestCpuMs(), res[2].bestCpuMs(), macs / res[2].bestCpuMs() / 1e6, res[1].bestCpuMs() / res[2].bestCpuMs(), bad);
    }
}
