package io.nnzip.codec;

import io.nnzip.codec.binarize.FloatBinarization;
import io.nnzip.codec.binarize.LevelBinarization;
import io.nnzip.codec.binarize.RiceLevelBinarization;
import io.nnzip.codec.binarize.SymbolBinarization;
import io.nnzip.codec.binarize.ZigzagRiceBinarization;
import io.nnzip.codec.bits.BitReader;
import io.nnzip.codec.bits.BitWriter;
import io.nnzip.codec.cabac.ContextModel;
import io.nnzip.codec.cabac.RangeDecoder;
import io.nnzip.codec.cabac.RangeEncoder;
import io.nnzip.codec.rd.BinarizationChooser;
import io.nnzip.codec.rd.RdQuantization;
import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.TensorProtos;
import io.nnzip.onnx.proto.Onnx.TensorProto;
import com.google.protobuf.ByteString;
import java.util.Arrays;
import java.util.stream.IntStream;

/** Codes one tensor as a {@link TensorUnit} and back, choosing the method from the tensor and the policy. */
public final class TensorCodec {
    /**
     * How to code one tensor: {@code quantize} says it is a weight that lossy modes may quantize at {@code qp}
     * with steps per output channel along {@code axis} (−1 for one step), rounding offset {@code rounding} (NaN: RD).
     */
    public record Policy(boolean quantize, int qp, int axis, double rounding, int threads, int mantissaBits, int quantizer) {
        public Policy(boolean quantize, int qp, int axis, double rounding) { this(quantize, qp, axis, rounding, 1, 23, CodecOptions.QUANT_THETA); }
    }


    /** Levels per independently coded slice: big tensors then code and decode on several cores. */
    public static final int SLICE = 1 << 20;

    private TensorCodec() {}

    /**
     * Codes {@code t}; with a {@code base} (the receiver's copy of the same tensor) codes the difference to it, and
     * returns null when nothing changed at this precision, so the tensor can be skipped.
     */
    public static TensorUnit encode(int index, String name, Tensor t, Policy p, Tensor base) {
        TensorUnit u = header(index, name, t);
        int[] shape = t.shape();
        boolean sameShape = base != null && base.dtype() == t.dtype() && Arrays.equals(base.shape(), shape);
        if (sameShape && base.equals(t) && rawEqual(base, t)) return null;
        if (t.dtype() == DType.FLOAT) {
            float[] w = t.floats();
            if (p.quantize() && sameShape) return encodeDifference(u, w, base.floats(), p);
            // The receiver's copy already holds this tensor at the reduced precision: nothing to send.
            if (sameShape && p.mantissaBits() < 23 && reducesTo(w, base.floats(), p.mantissaBits())) return null;
            Codebook cb = Codebook.detect(w);
            if (cb != null) encodeCodebook(u, w, cb);
            else if (p.quantize()) encodeUniform(u, w, null, p);
            else if (p.mantissaBits() < 23 && !encodeFloatReduced(u, w, p.mantissaBits())) encodeFloatLossless(u, w);
            else if (p.mantissaBits() >= 23) encodeFloatLossless(u, w);
            if (sameShape && shape.length <= 1 && !p.quantize() && p.mantissaBits() < 23 && u.method == TensorUnit.FLOAT_REDUCED) {
                // A changed bias of an update: its difference to the receiver's copy when that codes smaller.
                TensorUnit d = header(index, name, t);
                if (!encodeFloatDifference(d, w, base.floats(), p.mantissaBits())) return u;
                if (d.method == TensorUnit.RAW) return null; // every change below half a step: the receiver's copy stays
                if (ModelEncoder.payload(d::syntax).length < ModelEncoder.payload(u::syntax).length) return d;
            }
        } else if (t.dtype() == DType.FLOAT16 || t.dtype() == DType.BFLOAT16) {
            encodeHalfLossless(u, t);
        } else if (!encodeIntLevels(u, t)) {
            u.method = TensorUnit.RAW;
            u.raw = TensorProtos.toRaw(t);
        }
        return u;
    }

    private static TensorUnit header(int index, String name, Tensor t) {
        TensorUnit u = new TensorUnit();
        u.index = index;
        u.name = name;
        u.dtype = t.dtype().onnx;
        int[] shape = t.shape();
        u.dims = new long[shape.length];
        for (int i = 0; i < shape.length; i++) u.dims[i] = shape[i];
        return u;
    }

    /**
     * Codes an unquantized float tensor as its difference to the receiver's copy {@code base} (a DOM_UNIFORM unit, one
     * step): Δ = 2^(⌊log2 rms(w)⌋ − m), levels rounded to nearest, so no value moves by more than Δ/2 ≤ rms·2^−(m+1),
     * the bound of an m-bit mantissa taken relative to the tensor's scale instead of each value. Returns false when
     * the values do not fit such a grid (non-finite values, a zero tensor, a change beyond 2^29 steps); leaves
     * {@code u.method} RAW when no level survives.
     */
    private static boolean encodeFloatDifference(TensorUnit u, float[] w, float[] base, int m) {
        double ss = 0;
        for (float v : w) ss += (double) v * v;
        double rms = Math.sqrt(ss / Math.max(1, w.length));
        if (!(rms > 0) || !Double.isFinite(rms)) return false;
        double step = Math.scalb(1.0, Math.getExponent(rms) - m);
        if (!(step >= Float.MIN_NORMAL)) return false;
        for (int i = 0; i < w.length; i++) {
            double x = ((double) w[i] - base[i]) / step;
            if (!(Math.abs(x) < 1 << 29)) return false;
        }
        TensorUnit t = u;
        t.method = TensorUnit.DOM_UNIFORM;
        t.axis = -1;
        float[] steps = {(float) step};
        byte[] classes = UniformQuantizer.baseClasses(base, steps, t.dims, -1);
        int[] q = RdQuantization.quantize(t, w, base, classes, steps, 0.5, CodecOptions.QUANT_THETA, 1);
        for (int v : q) if (v != 0) return true;
        u.method = TensorUnit.RAW;
        return true;
    }

    private static boolean rawEqual(Tensor a, Tensor b) {
        if (a.dtype() != DType.FLOAT) return true;
        float[] x = a.floats(), y = b.floats();
        for (int i = 0; i < x.length; i++) if (Float.floatToRawIntBits(x[i]) != Float.floatToRawIntBits(y[i])) return false;
        return true;
    }

    private static TensorUnit encodeDifference(TensorUnit u, float[] w, float[] base, Policy p) {
        u.method = TensorUnit.DOM_UNIFORM;
        u.axis = p.axis();
        // Equal fidelity: the receiver's own grid step where its copy is on one, else the step coding the new tensor alone would use.
        float[] steps = io.nnzip.codec.dom.BaseGrid.steps(w, base, u.dims, u.axis, p.qp());
        byte[] classes = UniformQuantizer.baseClasses(base, steps, u.dims, u.axis);
        int[] q = RdQuantization.quantize(u, w, base, classes, steps, p.rounding(), p.quantizer(), p.threads());
        boolean any = false;
        for (int v : q) if (v != 0) {
            any = true;
            break;
        }
        if (!any) return null;
        TensorUnit r = withRowSkip(u, q, w, base, steps, p);
        if (r != null && ModelEncoder.payload(r::syntax).length < ModelEncoder.payload(u::syntax).length) return r;
        return u;
    }

    /**
     * The unit with row skip flags (format version 6): the rows whose levels are all zero in {@code q} keep the base
     * and are not coded; the kept rows are quantized again as a tensor of their own (their coded sequence is what
     * the contexts and the dependent quantizer's state walk run over). Null when no row can be skipped.
     */
    private static TensorUnit withRowSkip(TensorUnit u, int[] q, float[] w, float[] base, float[] steps, Policy p) {
        if (u.formatVersion < 6 || u.dims.length < 2 || u.dims[0] < 2) return null;
        int rows = (int) u.dims[0], rowLen = RowSkip.rowLength(u.dims);
        if (rowLen == 0) return null;
        boolean[] skip = new boolean[rows];
        int skipped = 0;
        for (int r = 0; r < rows; r++) {
            boolean zero = true;
            for (int i = r * rowLen, e = i + rowLen; i < e && zero; i++) zero = q[i] == 0;
            skip[r] = zero;
            if (zero) skipped++;
        }
        if (skipped == 0 || skipped == rows) return null;
        TensorUnit t = new TensorUnit();
        t.index = u.index;
        t.name = u.name;
        t.dtype = u.dtype;
        t.dims = u.dims;
        t.method = TensorUnit.DOM_UNIFORM;
        t.axis = u.axis;
        TensorUnit v = view(t, skip);
        float[] cb = RowSkip.compact(base, skip, rowLen);
        float[] cs = RowSkip.compactSteps(steps, u.axis, skip);
        byte[] cc = UniformQuantizer.baseClasses(cb, cs, v.dims, v.axis);
        RdQuantization.quantize(v, RowSkip.compact(w, skip, rowLen), cb, cc, cs, p.rounding(), p.quantizer(), p.threads());
        t.dependent = v.dependent;
        t.rounding = v.rounding;
        if (u.axis == 0) {
            t.steps = new float[rows];
            for (int r = 0; r < rows; r++) t.steps[r] = v.dependent ? steps[r] / 2 : steps[r];
            if (!Arrays.equals(RowSkip.compactSteps(t.steps, 0, skip), v.steps)) throw new IllegalStateException("tensor '" + u.name + "': row steps disagree");
        } else t.steps = v.steps;
        t.scheme = v.scheme;
        t.riceK = v.riceK;
        t.sliceElements = v.sliceElements;
        t.slices = v.slices;
        t.keptRows = rows - skipped;
        t.rowFlags = RowSkip.encode(skip, RowSkip.zeroRows(base, rows, rowLen));
        return t;
    }

    /** The kept rows of a row-skipping unit as a unit of their own (shares the coded data; steps of kept rows). */
    private static TensorUnit view(TensorUnit u, boolean[] skip) {
        TensorUnit v = new TensorUnit();
        v.formatVersion = u.formatVersion;
        v.index = u.index;
        v.name = u.name;
        v.dtype = u.dtype;
        v.method = u.method;
        v.dims = RowSkip.compactDims(u.dims, skip);
        v.axis = u.axis;
        v.steps = RowSkip.compactSteps(u.steps, u.axis, skip);
        v.rounding = u.rounding;
        v.dependent = u.dependent;
        v.scheme = u.scheme;
        v.riceK = u.riceK;
        v.sliceElements = u.sliceElements;
        v.slices = u.slices;
        return v;
    }

    /** The skip flags of a row-skipping unit, decoded with the base's rows as their context. */
    private static boolean[] rowSkips(TensorUnit u, float[] base) {
        int rows = (int) u.dims[0];
        return RowSkip.decode(u.rowFlags, rows, u.keptRows, RowSkip.zeroRows(base, rows, RowSkip.rowLength(u.dims)), u.name);
    }

    private static void encodeUniform(TensorUnit u, float[] w, float[] base, Policy p) {
        u.method = TensorUnit.UNIFORM;
        u.axis = p.axis();
        float[] steps = UniformQuantizer.steps(w, null, u.dims, u.axis, p.qp());
        RdQuantization.quantize(u, w, null, null, steps, p.rounding(), p.quantizer(), p.threads());
    }

    private static void encodeCodebook(TensorUnit u, float[] w, Codebook cb) {
        u.method = TensorUnit.CODEBOOK;
        int[] q = new int[w.length];
        for (int i = 0; i < w.length; i++) q[i] = cb.indexOf(w[i]) - cb.zeroIndex;
        u.codebook = cb.entries;
        u.zeroIndex = cb.zeroIndex;
        fillLevels(u, q, null, 1);
    }

    private static void encodeFloatLossless(TensorUnit u, float[] w) {
        u.method = TensorUnit.FLOAT_LOSSLESS;
        int[] bits = new int[w.length];
        for (int i = 0; i < w.length; i++) bits[i] = Float.floatToRawIntBits(w[i]);
        floatLossless(u, bits, FloatBinarization.FLOAT32.forVersion(u.formatVersion));
    }

    // Rounds each float to m mantissa bits (to nearest; a carry moves into the exponent, as it should) and codes the
    // shortened patterns with the float coder. Infinities and NaNs keep the tensor lossless.
    private static boolean encodeFloatReduced(TensorUnit u, float[] w, int m) {
        int[] bits = reducedBits(w, m);
        if (bits == null) return false;
        u.method = TensorUnit.FLOAT_REDUCED;
        u.mantissaBits = m;
        floatLossless(u, bits, FloatBinarization.reduced(m).forVersion(u.formatVersion));
        return true;
    }

    /** The FLOAT_REDUCED patterns (sign, exponent, m-bit mantissa) of {@code w}, or null if a value is not finite there. */
    private static int[] reducedBits(float[] w, int m) {
        int drop = 23 - m;
        int[] bits = new int[w.length];
        for (int i = 0; i < w.length; i++) {
            int b = Float.floatToRawIntBits(w[i]);
            if (((b >>> 23) & 0xFF) == 0xFF) return null;
            int r = ((b & 0x7FFFFFFF) + (1 << (drop - 1))) >>> drop;
            if ((r >>> m) >= 0xFF) return null;
            bits[i] = (b >>> 31) << (8 + m) | r;
        }
        return bits;
    }

    private static float fromReduced(int b, int m) { return Float.intBitsToFloat((b >>> (8 + m)) << 31 | (b & ((1 << (8 + m)) - 1)) << (23 - m)); }

    private static boolean reducesTo(float[] w, float[] base, int m) {
        int[] bits = reducedBits(w, m);
        if (bits == null) return false;
        for (int i = 0; i < w.length; i++) if (Float.floatToRawIntBits(fromReduced(bits[i], m)) != Float.floatToRawIntBits(base[i])) return false;
        return true;
    }

    private static void floatLossless(TensorUnit u, int[] bits, FloatBinarization fb) {
        u.medianExponent = fb.medianExponent(bits, bits.length);
        RangeEncoder enc = new RangeEncoder(bits.length + 64);
        BitWriter raw = new BitWriter((int) Math.min(Integer.MAX_VALUE - 64, (long) bits.length * fb.rawBits() / 8 + 16));
        fb.encode(bits, bits.length, u.medianExponent, enc, fb.contexts(), raw);
        u.coded = enc.finish();
        u.raw = raw.finish();
    }

    // float16 / bfloat16: the 16-bit patterns, coded like float32 with their own exponent and mantissa widths.
    private static void encodeHalfLossless(TensorUnit u, Tensor t) {
        u.method = TensorUnit.FLOAT_LOSSLESS;
        short[] h = (short[]) t.data();
        int[] bits = new int[h.length];
        for (int i = 0; i < h.length; i++) bits[i] = h[i] & 0xFFFF;
        floatLossless(u, bits, (t.dtype() == DType.FLOAT16 ? FloatBinarization.FLOAT16 : FloatBinarization.BFLOAT16).forVersion(u.formatVersion));
    }

    private static boolean encodeIntLevels(TensorUnit u, Tensor t) {
        DType.Storage s = t.dtype().storage;
        if (s != DType.Storage.BYTE && s != DType.Storage.INT && s != DType.Storage.LONG) return false;
        int n = t.size();
        long offset = 0;
        if (s == DType.Storage.BYTE && n > 0) {
            int[] hist = new int[256];
            for (int i = 0; i < n; i++) hist[(int) (t.getLong(i) & 0xFF)]++;
            int mode = 0;
            for (int v = 1; v < 256; v++) if (hist[v] > hist[mode]) mode = v;
            offset = mode;
            if (!t.dtype().isUnsigned() && t.dtype() != DType.BOOL) offset = (byte) mode;
        }
        int[] q = new int[n];
        for (int i = 0; i < n; i++) {
            long d = t.getLong(i) - offset;
            if (d > (1 << 30) || d < -(1 << 30)) return false;
            q[i] = (int) d;
        }
        u.method = TensorUnit.INT_LEVELS;
        u.offset = offset;
        fillLevels(u, q, null, 1);
        IntSymbols.tryCheaper(u, t);
        return true;
    }

    /** Codes levels {@code q} into {@code u}'s slices (dependent-quantization levels if {@code u.dependent}). */
    public static void fillLevels(TensorUnit u, int[] q, byte[] classes, int threads) {
        boolean dq = u.dependent;
        BinarizationChooser.Choice c = BinarizationChooser.chooseLevelCoding(q, classes, dq);
        u.scheme = c.scheme();
        u.riceK = c.k();
        u.sliceElements = SLICE;
        int s = Math.max(1, (q.length + SLICE - 1) / SLICE);
        u.slices = new byte[s][];
        IntStream is = IntStream.range(0, s);
        (threads > 1 && s > 1 ? is.parallel() : is).forEach(i -> {
            int from = i * SLICE, to = (int) Math.min(q.length, (long) from + SLICE);
            RangeEncoder enc = new RangeEncoder((to - from) / 2 + 64);
            if (c.scheme() == TensorUnit.SCHEME_ZIGZAG) ZigzagRiceBinarization.encode(q, from, to, c.k(), enc, ZigzagRiceBinarization.contexts());
            else RiceLevelBinarization.encode(q, from, to, classes, c.k(), dq, enc, RiceLevelBinarization.contexts());
            u.slices[i] = enc.finish();
        });
        if (c.scheme() == TensorUnit.SCHEME_RICE && columnsApply(u, classes)) {
            // Scheme 2 codes the same levels; it pays where changes cluster in columns (fine-tuning), so keep the smaller.
            int rowLen = RowSkip.rowLength(u.dims);
            byte[][] col = new byte[s][];
            IntStream cs = IntStream.range(0, s);
            (threads > 1 && s > 1 ? cs.parallel() : cs).forEach(i -> {
                int from = i * SLICE, to = (int) Math.min(q.length, (long) from + SLICE);
                RangeEncoder enc = new RangeEncoder((to - from) / 2 + 64);
                RiceLevelBinarization.encodeColumns(q, from, to, classes, c.k(), dq, rowLen, enc, RiceLevelBinarization.columnContexts());
                col[i] = enc.finish();
            });
            long plain = 0, columns = 0;
            for (int i = 0; i < s; i++) {
                plain += u.slices[i].length;
                columns += col[i].length;
            }
            if (columns < plain) {
                u.scheme = TensorUnit.SCHEME_RICE_COLUMNS;
                u.slices = col;
            }
        }
    }

    private static boolean columnsApply(TensorUnit u, byte[] classes) {
        return classes != null && u.method == TensorUnit.DOM_UNIFORM && u.formatVersion >= 7 && u.dims.length >= 2 && RowSkip.rowLength(u.dims) >= 1;
    }

    // ---- decoding ----

    /** Decodes a unit; {@code base} is the co-located base tensor, needed only for DOM_UNIFORM. */
    public static Tensor decode(TensorUnit u, Tensor base) {
        DType dt = DType.fromOnnx(u.dtype);
        int n = checkedNumel(u);
        int[] shape = new int[u.dims.length];
        for (int i = 0; i < shape.length; i++) shape[i] = (int) u.dims[i];
        switch (u.method) {
            case TensorUnit.RAW -> {
                if (u.raw.length != dt.rawBytes(n)) throw new NnzipException("tensor '" + u.name + "': raw data has " + u.raw.length + " bytes, expected " + dt.rawBytes(n));
                TensorProto.Builder b = TensorProto.newBuilder().setName(u.name).setDataType(u.dtype).setRawData(ByteString.copyFrom(u.raw));
                for (long d : u.dims) b.addDims(d);
                return TensorProtos.read(b.build(), null);
            }
            case TensorUnit.FLOAT_LOSSLESS -> {
                if ((dt == DType.FLOAT16 || dt == DType.BFLOAT16) && u.formatVersion >= 3) {
                    FloatBinarization fb = (dt == DType.FLOAT16 ? FloatBinarization.FLOAT16 : FloatBinarization.BFLOAT16).forVersion(u.formatVersion);
                    int[] bits = new int[n];
                    fb.decode(bits, n, u.medianExponent, new RangeDecoder(u.coded, "tensor '" + u.name + "'"), fb.contexts(), new BitReader(u.raw, "tensor '" + u.name + "'"));
                    short[] h = new short[n];
                    for (int i = 0; i < n; i++) h[i] = (short) bits[i];
                    return new Tensor(dt, shape, h);
                }
                requireFloat(u, dt);
                int[] bits = new int[n];
                FloatBinarization fb = FloatBinarization.FLOAT32.forVersion(u.formatVersion);
                fb.decode(bits, n, u.medianExponent, new RangeDecoder(u.coded, "tensor '" + u.name + "'"), fb.contexts(), new BitReader(u.raw, "tensor '" + u.name + "'"));
                float[] w = new float[n];
                for (int i = 0; i < n; i++) w[i] = Float.intBitsToFloat(bits[i]);
                return new Tensor(dt, shape, w);
            }
            case TensorUnit.FLOAT_REDUCED -> {
                requireFloat(u, dt);
                FloatBinarization fb = FloatBinarization.reduced(u.mantissaBits).forVersion(u.formatVersion);
                int[] bits = new int[n];
                fb.decode(bits, n, u.medianExponent, new RangeDecoder(u.coded, "tensor '" + u.name + "'"), fb.contexts(), new BitReader(u.raw, "tensor '" + u.name + "'"));
                float[] w = new float[n];
                for (int i = 0; i < n; i++) w[i] = fromReduced(bits[i], u.mantissaBits);
                return new Tensor(dt, shape, w);
            }
            case TensorUnit.UNIFORM, TensorUnit.DOM_UNIFORM -> {
                requireFloat(u, dt);
                float[] b = null;
                if (u.method == TensorUnit.DOM_UNIFORM) {
                    if (base == null || base.dtype() != DType.FLOAT || !Arrays.equals(base.shape(), shape))
                        throw new NnzipException("tensor '" + u.name + "' is a difference, but the base has no float tensor of shape " + Arrays.toString(shape) + " by that name");
                    b = base.floats();
                }
                checkSteps(u);
                if (u.rowFlags != null) {
                    boolean[] skip = rowSkips(u, b);
                    int rowLen = RowSkip.rowLength(u.dims);
                    TensorUnit v = view(u, skip);
                    float[] cb = RowSkip.compact(b, skip, rowLen);
                    float[] out = b.clone();
                    RowSkip.expand(reconstructLevels(v, levels(v, cb, cb.length), cb), out, skip, rowLen);
                    return new Tensor(dt, shape, out);
                }
                int[] q = levels(u, b, n);
                return new Tensor(dt, shape, reconstructLevels(u, q, b));
            }
            case TensorUnit.CODEBOOK -> {
                requireFloat(u, dt);
                int[] q = levels(u, null, n);
                float[] w = new float[n];
                for (int i = 0; i < n; i++) {
                    long k = (long) q[i] + u.zeroIndex;
                    if (k < 0 || k >= u.codebook.length) throw new NnzipException("tensor '" + u.name + "': codebook index " + k + " out of range");
                    w[i] = u.codebook[(int) k];
                }
                return new Tensor(dt, shape, w);
            }
            case TensorUnit.INT_SYMBOLS -> {
                return IntSymbols.decode(u, dt, shape, levels(u, null, n));
            }
            case TensorUnit.INT_LEVELS -> {
                int[] q = levels(u, null, n);
                Tensor t = Tensor.zeros(dt, shape);
                Object a = t.data();
                for (int i = 0; i < n; i++) {
                    long v = q[i] + u.offset;
                    switch (a) {
                        case byte[] x -> x[i] = (byte) v;
                        case int[] x -> x[i] = (int) v;
                        case long[] x -> x[i] = v;
                        default -> throw new NnzipException("tensor '" + u.name + "': int-levels cannot hold " + dt.lower());
                    }
                }
                return t;
            }
            default -> throw new NnzipException("tensor '" + u.name + "': unknown coding method " + u.method);
        }
    }

    /** The weights that levels {@code q} of a UNIFORM or DOM_UNIFORM unit stand for (a state walk if dependent). */
    public static float[] reconstructLevels(TensorUnit u, int[] q, float[] base) {
        return u.dependent ? DependentQuantizer.reconstruct(q, base, u.steps, u.dims, u.axis, u.sliceElements)
                : UniformQuantizer.reconstruct(q, base, u.steps, u.dims, u.axis);
    }

    /** The quantized levels of a level-coded unit (for inspection and entropy statistics). */
    public static int[] levels(TensorUnit u, Tensor base) {
        int n = checkedNumel(u);
        byte[] classes = null;
        if (u.method == TensorUnit.DOM_UNIFORM) {
            if (base == null) throw new NnzipException("tensor '" + u.name + "' is a difference and needs its base");
            checkSteps(u);
            if (u.rowFlags != null) {
                boolean[] skip = rowSkips(u, base.floats());
                TensorUnit v = view(u, skip);
                float[] cb = RowSkip.compact(base.floats(), skip, RowSkip.rowLength(u.dims));
                return RowSkip.expand(levels(v, cb, cb.length), skip, RowSkip.rowLength(u.dims));
            }
            classes = UniformQuantizer.baseClasses(base.floats(), u.steps, u.dims, u.axis);
        }
        return decodeLevels(u, classes, n);
    }

    private static int[] levels(TensorUnit u, float[] base, int n) {
        byte[] classes = base == null ? null : UniformQuantizer.baseClasses(base, u.steps, u.dims, u.axis);
        return decodeLevels(u, classes, n);
    }

    private static int[] decodeLevels(TensorUnit u, byte[] classes, int n) {
        int[] q = new int[n];
        long len = u.sliceElements;
        if (u.slices.length != Math.max(1, (n + len - 1) / len)) throw new NnzipException("tensor '" + u.name + "': " + u.slices.length + " slices for " + n + " levels");
        IntStream is = IntStream.range(0, u.slices.length);
        (u.slices.length > 1 ? is.parallel() : is).forEach(i -> {
            int from = (int) Math.min(n, i * len), to = (int) Math.min(n, from + len);
            RangeDecoder dec = new RangeDecoder(u.slices[i], "tensor '" + u.name + "'" + (u.slices.length > 1 ? " slice " + i : ""));
            if (u.method == TensorUnit.INT_SYMBOLS) SymbolBinarization.decode(q, from, to, u.symbols.length, dec, SymbolBinarization.contexts(u.symbols.length));
            else if (u.legacyLevels()) LevelBinarization.decode(q, from, to, classes, u.params(), dec, LevelBinarization.contexts());
            else if (u.scheme == TensorUnit.SCHEME_ZIGZAG) ZigzagRiceBinarization.decode(q, from, to, u.riceK, dec, ZigzagRiceBinarization.contexts());
            else if (u.scheme == TensorUnit.SCHEME_RICE_COLUMNS)
                RiceLevelBinarization.decodeColumns(q, from, to, classes, u.riceK, u.dependent, RowSkip.rowLength(u.dims), dec, RiceLevelBinarization.columnContexts());
            else RiceLevelBinarization.decode(q, from, to, classes, u.riceK, u.dependent, dec, RiceLevelBinarization.contexts());
        });
        return q;
    }

    public static boolean isLevelCoded(int method) {
        return method == TensorUnit.UNIFORM || method == TensorUnit.DOM_UNIFORM || method == TensorUnit.CODEBOOK || method == TensorUnit.INT_LEVELS
                || method == TensorUnit.INT_SYMBOLS;
    }

    private static void requireFloat(TensorUnit u, DType dt) {
        if (dt != DType.FLOAT) throw new NnzipException("tensor '" + u.name + "': method " + TensorUnit.methodName(u.method) + " needs float, got " + dt.lower());
    }

    private static void checkSteps(TensorUnit u) {
        int channels = u.axis < 0 ? 1 : -1;
        if (u.axis >= u.dims.length || u.axis < -1) throw new NnzipException("tensor '" + u.name + "': channel axis " + u.axis + " out of range");
        if (u.axis >= 0) channels = (int) u.dims[u.axis];
        if (u.steps.length != channels || (channels == 0 && checkedNumel(u) > 0))
            throw new NnzipException("tensor '" + u.name + "': " + u.steps.length + " steps for " + channels + " channels");
        for (float s : u.steps) if (!(s > 0) || !Float.isFinite(s)) throw new NnzipException("tensor '" + u.name + "': invalid step " + s);
    }

    /** The element count, checked against what the coded data could possibly hold before anything is allocated. */
    static int checkedNumel(TensorUnit u) {
        long n = u.numel();
        if (n < 0) throw new NnzipException("tensor '" + u.name + "': shape " + Arrays.toString(u.dims) + " is too large");
        long coded = u.codedElements();
        long bound = switch (u.method) {
            case TensorUnit.RAW -> Long.MAX_VALUE;
            case TensorUnit.FLOAT_LOSSLESS, TensorUnit.FLOAT_REDUCED -> (u.coded.length + 16L) * ContextModel.MAX_BINS_PER_BYTE;
            default -> (u.codedBytes() + 16L * Math.max(1, u.slices.length)) * ContextModel.MAX_BINS_PER_BYTE;
        };
        if (coded > bound) throw new NnzipException("tensor '" + u.name + "': " + coded + " elements cannot fit in " + u.codedBytes() + " coded bytes");
        long free = Runtime.getRuntime().maxMemory() - (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory());
        if (n * 12 > free) throw new NnzipException("tensor '" + u.name + "': " + n + " elements do not fit in memory (raise -Xmx)");
        return (int) n;
    }
}
