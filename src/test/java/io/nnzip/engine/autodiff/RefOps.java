package io.nnzip.engine.autodiff;

import io.nnzip.ir.Shapes;

/** Plain double-precision reference forwards for the gradient checks (loops as in the ONNX operator spec). */
final class RefOps {
    private RefOps() {}

    // x: (N,C,H,W), w: (K,C/g,R,S), b: (K) -> y: (N,K,P,Q)
    static double[] conv(double[] x, double[] w, double[] b, int n, int c, int h, int wd, int k, int g, int r, int s,
                         int stride, int pad, int dil) {
        int p = (h + 2 * pad - dil * (r - 1) - 1) / stride + 1, q = (wd + 2 * pad - dil * (s - 1) - 1) / stride + 1;
        int cg = c / g, kg = k / g;
        double[] y = new double[n * k * p * q];
        for (int i = 0; i < n; i++)
            for (int o = 0; o < k; o++)
                for (int oh = 0; oh < p; oh++)
                    for (int ow = 0; ow < q; ow++) {
                        double acc = b == null ? 0 : b[o];
                        int grp = o / kg;
                        for (int ci = 0; ci < cg; ci++)
                            for (int ri = 0; ri < r; ri++)
                                for (int si = 0; si < s; si++) {
                                    int ih = oh * stride - pad + ri * dil, iw = ow * stride - pad + si * dil;
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                                    acc += x[((i * c + grp * cg + ci) * h + ih) * wd + iw] * w[((o * cg + ci) * r + ri) * s + si];
                                }
                        y[((i * k + o) * p + oh) * q + ow] = acc;
                    }
        return y;
    }

    /**
     * AdderNet layer, y = −Σ|x − w| over each window, taps in the zero padding included, and (with {@code dy}) the
     * paper's gradients: {@code grads[0]} = Σ dy·HT(w − x) onto x, {@code grads[1]} = Σ dy·(x − w) onto w.
     */
    static double[] adder(double[] x, double[] w, int n, int c, int h, int wd, int k, int r, int s, int stride, int pad, int dil,
                          double[] dy, double[][] grads) {
        int p = (h + 2 * pad - dil * (r - 1) - 1) / stride + 1, q = (wd + 2 * pad - dil * (s - 1) - 1) / stride + 1;
        double[] y = new double[n * k * p * q];
        if (grads != null) {
            grads[0] = new double[x.length];
            grads[1] = new double[w.length];
        }
        for (int i = 0; i < n; i++)
            for (int o = 0; o < k; o++)
                for (int oh = 0; oh < p; oh++)
                    for (int ow = 0; ow < q; ow++) {
                        int yi = ((i * k + o) * p + oh) * q + ow;
                        double acc = 0;
                        for (int ci = 0; ci < c; ci++)
                            for (int ri = 0; ri < r; ri++)
                                for (int si = 0; si < s; si++) {
                                    int ih = oh * stride - pad + ri * dil, iw = ow * stride - pad + si * dil, wi = ((o * c + ci) * r + ri) * s + si;
                                    boolean in = ih >= 0 && ih < h && iw >= 0 && iw < wd;
                                    int xi = in ? ((i * c + ci) * h + ih) * wd + iw : -1;
                                    double xv = in ? x[xi] : 0;
                                    acc += Math.abs(xv - w[wi]);
                                    if (grads != null) {
                                        grads[1][wi] += dy[yi] * (xv - w[wi]);
                                        if (in) grads[0][xi] += dy[yi] * Math.max(-1, Math.min(1, w[wi] - xv));
                                    }
                                }
                        y[yi] = -acc;
                    }
        return y;
    }

    /** C = alpha·op(A)·op(B) + beta·bcast(C). */
    static double[] gemm(double[] a, double[] b, double[] c, int m, int n, int k, boolean ta, boolean tb, double alpha, double beta, int[] cShape) {
        double[] y = new double[m * n];
        double[] cb = c == null ? null : expand(c, cShape, new int[] {m, n});
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double acc = 0;
                for (int p = 0; p < k; p++) acc += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
                y[i * n + j] = alpha * acc + (cb == null ? 0 : beta * cb[i * n + j]);
            }
        return y;
    }

    static double[] expand(double[] x, int[] in, int[] out) {
        double[] r = new double[Shapes.numel(out)];
        int[] outSt = Shapes.strides(out), inSt = Shapes.strides(in);
        for (int o = 0; o < r.length; o++) {
            int src = 0;
            for (int d = 0; d < out.length; d++) {
                int idx = (o / outSt[d]) % out[d];
                int j = d - (out.length - in.length);
                if (j >= 0 && in[j] != 1) src += idx * inSt[j];
            }
            r[o] = x[src];
        }
        return r;
    }

    interface Op2 { double f(double a, double b); }

    static double[] binary(double[] a, int[] as, double[] b, int[] bs, Op2 f) {
        int[] o = Shapes.broadcast(as, bs);
        double[] ea = expand(a, as, o), eb = expand(b, bs, o), r = new double[ea.length];
        for (int i = 0; i < r.length; i++) r[i] = f.f(ea[i], eb[i]);
        return r;
    }

    // x: (N,C,L) -> y; batch statistics when mean == null
    static double[] batchNorm(double[] x, double[] sc, double[] bi, double[] mean, double[] var, int n, int c, int l, double eps) {
        double[] y = new double[x.length];
        for (int ch = 0; ch < c; ch++) {
            double mu, v;
            if (mean != null) {
                mu = mean[ch];
                v = var[ch];
            } else {
                double s = 0, ss = 0;
                for (int i = 0; i < n; i++) for (int j = 0; j < l; j++) s += x[(i * c + ch) * l + j];
                mu = s / (n * l);
                for (int i = 0; i < n; i++) for (int j = 0; j < l; j++) ss += Math.pow(x[(i * c + ch) * l + j] - mu, 2);
                v = ss / (n * l);
            }
            for (int i = 0; i < n; i++) for (int j = 0; j < l; j++) {
                int o = (i * c + ch) * l + j;
                y[o] = sc[ch] * (x[o] - mu) / Math.sqrt(v + eps) + bi[ch];
            }
        }
        return y;
    }

    // x: (planes,H,W) -> y: (planes,P,Q)
    static double[] pool(double[] x, int planes, int h, int w, int kh, int kw, int stride, int pad, boolean max, boolean countPad) {
        int p = (h + 2 * pad - kh) / stride + 1, q = (w + 2 * pad - kw) / stride + 1;
        double[] y = new double[planes * p * q];
        for (int pl = 0; pl < planes; pl++)
            for (int oh = 0; oh < p; oh++)
                for (int ow = 0; ow < q; ow++) {
                    double acc = max ? Double.NEGATIVE_INFINITY : 0;
                    int cnt = 0;
                    for (int i = 0; i < kh; i++)
                        for (int j = 0; j < kw; j++) {
                            int ih = oh * stride - pad + i, iw = ow * stride - pad + j;
                            if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                            double v = x[(pl * h + ih) * w + iw];
                            acc = max ? Math.max(acc, v) : acc + v;
                            cnt++;
                        }
                    y[(pl * p + oh) * q + ow] = max ? acc : acc / (countPad ? kh * kw : cnt);
                }
        return y;
    }

    // x: (outer, len, inner) -> softmax or log-softmax along len
    static double[] softmax(double[] x, int outer, int len, int inner, boolean log) {
        double[] y = new double[x.length];
        for (int o = 0; o < outer; o++)
            for (int in = 0; in < inner; in++) {
                double mx = Double.NEGATIVE_INFINITY, s = 0;
                for (int a = 0; a < len; a++) mx = Math.max(mx, x[(o * len + a) * inner + in]);
                for (int a = 0; a < len; a++) s += Math.exp(x[(o * len + a) * inner + in] - mx);
                for (int a = 0; a < len; a++) {
                    int i = (o * len + a) * inner + in;
                    y[i] = log ? x[i] - mx - Math.log(s) : Math.exp(x[i] - mx) / s;
                }
            }
        return y;
    }
}
