package io.nnzip.codec;

import io.nnzip.codec.binarize.FloatBinarization;
import io.nnzip.codec.binarize.LevelBinarization;
import io.nnzip.codec.binarize.RiceLevelBinarization;
import io.nnzip.codec.binarize.SymbolBinarization;
import io.nnzip.codec.binarize.ZigzagRiceBinarization;
import io.nnzip.codec.format.NnzFormat;
import io.nnzip.codec.syntax.SyntaxIO;
import io.nnzip.ir.NnzipException;

/**
 * Syntax of a TENSOR unit: one initializer, coded by one method.
 * <pre>
 * TensorUnit --&gt; Index:uvar, Name:str, DType:u8 (ONNX code), Rank:count(≤16), Dim:uvar^Rank, Method:u8, MethodBody
 *   RAW            --&gt; Data:blob (ONNX raw_data layout)
 *   FLOAT_LOSSLESS --&gt; MedianExponent:u8, Coded:blob, RawBits:blob
 *   UNIFORM        --&gt; Axis:svar (−1 = one step), StepCount:count, Step:f32^StepCount, Rounding:f32, [Quantizer:u8], Binarization, Coded:blob
 *     Quantizer (format version 5): 0 scalar (ŵ = q·Δ), 1 dependent ({@link DependentQuantizer}; Binarization scheme 0)
 *   DOM_UNIFORM    --&gt; as UNIFORM; levels are the quantized difference to the co-located base tensor; from format
 *                      version 6 a RowSkip part follows the Quantizer byte ({@link RowSkip}): RowSkip:u8,
 *                      [KeptRows:count(Dim[0]), RowFlags:blob]; with it only the kept rows' levels are coded
 *   CODEBOOK       --&gt; Size:count, Entry:f32^Size, ZeroIndex:uvar, Binarization, Coded:blob
 *   INT_LEVELS     --&gt; Offset:svar, Binarization, Coded:blob
 *   Binarization   --&gt; MaxGt:u8, EgOrder:u8           (format version 1, see {@link LevelBinarization})
 *   Binarization   --&gt; RiceK:u8                       (format version 2, see {@link RiceLevelBinarization})
 *   Binarization   --&gt; Scheme:u8, K:u8                (format version 3: scheme 0 {@link RiceLevelBinarization},
 *                                                      1 {@link ZigzagRiceBinarization}; K is the Rice parameter;
 *                                                      format version 7: scheme 2, DOM_UNIFORM of rank ≥ 2 only,
 *                                                      {@link RiceLevelBinarization#encodeColumns} over rows of Dim[1]·…)
 *   Coded (levels) --&gt; SliceElements:uvar (≥ 1), Slice:blob^S   (format version 3; before it one blob)
 *     S = max(1, ⌈n / SliceElements⌉); slice i codes levels [i·SliceElements, min(n, (i+1)·SliceElements)) with
 *     fresh contexts, so slices decode independently (in parallel)
 *   FLOAT_LOSSLESS also codes float16 and bfloat16 tensors from format version 3 (layout from DType)
 *   FLOAT_REDUCED  --&gt; MantissaBits:u8 (3..23), MedianExponent:u8, Coded:blob, RawBits:blob   (format version 3)
 *     float32 rounded to MantissaBits mantissa bits, coded as FLOAT_LOSSLESS codes a float with that mantissa width
 *   INT_SYMBOLS    --&gt; SymbolCount:count (1..256), Symbol:svar^SymbolCount, Coded (levels)   (format version 4)
 *     an integer tensor with few distinct values: the levels are ranks into the symbol table (element = Symbol[rank]),
 *     coded with {@link SymbolBinarization}; the encoder lists the most frequent value first
 * </pre>
 * The stream's format version decides which binarization the levels use; set {@link #formatVersion} before
 * {@link #syntax} when reading.
 * Index is the tensor's position in the topology unit's directory; Coded is arithmetic-coded data, RawBits a
 * plain bit stream.
 */
public final class TensorUnit {
    public static final int RAW = 0, FLOAT_LOSSLESS = 1, UNIFORM = 2, DOM_UNIFORM = 3, CODEBOOK = 4, INT_LEVELS = 5, FLOAT_REDUCED = 6, INT_SYMBOLS = 7;
    public static final int MAX_RANK = 16;
    /** Level binarization schemes of format version 3. */
    public static final int SCHEME_RICE = 0, SCHEME_ZIGZAG = 1;
    /** Level scheme of format version 7: scheme 0 with sig contexts split by column activity (differences, rank ≥ 2). */
    public static final int SCHEME_RICE_COLUMNS = 2;

    /** Format version of the stream this unit belongs to: 1 codes levels with {@link LevelBinarization}, 2 with Rice. */
    public int formatVersion = NnzFormat.VERSION;
    public int index;
    public String name = "";
    public int dtype;
    public long[] dims = new long[0];
    public int method;
    public int axis = -1;
    public float[] steps = new float[0];
    public float rounding;
    /** Levels of dependent (trellis-coded) quantization, {@link DependentQuantizer} (format version 5). */
    public boolean dependent;
    /**
     * DOM_UNIFORM row skip flags (format version 6): the arithmetic-coded flags, or null when every row is coded;
     * {@link #keptRows} rows have coded levels.
     */
    public byte[] rowFlags;
    public int keptRows = -1;
    public int maxGt = 1, egk;
    /** Rice parameter of the level binarization (format versions 2 and 3). */
    public int riceK;
    /** Level binarization scheme (format version 3; version 2 is always {@link #SCHEME_RICE}). */
    public int scheme = SCHEME_RICE;
    /** Levels per independently coded slice (format version 3; before it one slice holds all). */
    public long sliceElements = Integer.MAX_VALUE;
    /** Arithmetic-coded levels, one array per slice (level-coded methods). */
    public byte[][] slices = {new byte[0]};
    public int medianExponent;
    /** Mantissa bits kept by FLOAT_REDUCED (format version 3). */
    public int mantissaBits = 23;
    public float[] codebook = new float[0];
    public int zeroIndex;
    public long offset;
    /** INT_SYMBOLS: the value of each rank, most frequent first. */
    public long[] symbols = new long[0];
    public byte[] coded = new byte[0];
    public byte[] raw = new byte[0];

    public static String methodName(int m) {
        return switch (m) {
            case RAW -> "raw";
            case FLOAT_LOSSLESS -> "float-lossless";
            case UNIFORM -> "uniform";
            case DOM_UNIFORM -> "dom-uniform";
            case CODEBOOK -> "codebook";
            case INT_LEVELS -> "int-levels";
            case FLOAT_REDUCED -> "float-reduced";
            case INT_SYMBOLS -> "int-symbols";
            default -> "method " + m;
        };
    }

    public void syntax(SyntaxIO io) {
        index = (int) io.count("index", index, Integer.MAX_VALUE);
        name = io.str("name", name);
        dtype = io.u8("dtype", dtype);
        int rank = io.count("rank", dims.length, MAX_RANK);
        if (io.reading()) dims = new long[rank];
        for (int i = 0; i < rank; i++) dims[i] = io.uvar("dim", dims[i]);
        method = io.u8("method", method);
        switch (method) {
            case RAW -> raw = io.blob("data", raw);
            case FLOAT_LOSSLESS -> {
                medianExponent = io.u8("median_exponent", medianExponent);
                coded = io.blob("coded", coded);
                raw = io.blob("raw_bits", raw);
            }
            case FLOAT_REDUCED -> {
                if (formatVersion < 3) throw new NnzipException("tensor '" + name + "': method float-reduced needs format version 3");
                mantissaBits = io.u8("mantissa_bits", mantissaBits);
                if (io.reading()) FloatBinarization.reduced(mantissaBits);
                medianExponent = io.u8("median_exponent", medianExponent);
                coded = io.blob("coded", coded);
                raw = io.blob("raw_bits", raw);
            }
            case UNIFORM, DOM_UNIFORM -> {
                axis = (int) io.svar("axis", axis);
                int n = io.count("step_count", steps.length, Integer.MAX_VALUE);
                if (io.reading() && n > remainingOf(io) / 4) throw new NnzipException("tensor '" + name + "': step count " + n + " exceeds the unit");
                steps = io.f32s("step", steps, n);
                rounding = io.f32("rounding", rounding);
                if (formatVersion >= 5) {
                    int qz = io.u8("quantizer", dependent ? 1 : 0);
                    if (qz > 1) throw new NnzipException("tensor '" + name + "': unknown quantizer " + qz);
                    dependent = qz == 1;
                }
                if (method == DOM_UNIFORM && formatVersion >= 6) rowSkip(io);
                binarization(io);
                if (dependent && scheme == SCHEME_ZIGZAG) throw new NnzipException("tensor '" + name + "': dependent quantization needs level scheme 0 or 2");
                levelData(io);
            }
            case CODEBOOK -> {
                int n = io.count("codebook_size", codebook.length, Integer.MAX_VALUE);
                if (io.reading() && n > remainingOf(io) / 4) throw new NnzipException("tensor '" + name + "': codebook size " + n + " exceeds the unit");
                codebook = io.f32s("entry", codebook, n);
                zeroIndex = io.count("zero_index", zeroIndex, Math.max(0, n - 1));
                binarization(io);
                levelData(io);
            }
            case INT_LEVELS -> {
                offset = io.svar("offset", offset);
                binarization(io);
                levelData(io);
            }
            case INT_SYMBOLS -> {
                if (formatVersion < 4) throw new NnzipException("tensor '" + name + "': method int-symbols needs format version 4");
                int n = io.count("symbol_count", symbols.length, SymbolBinarization.MAX_SYMBOLS);
                if (n < 1) throw new NnzipException("tensor '" + name + "': empty symbol table");
                if (io.reading()) symbols = new long[n];
                for (int i = 0; i < n; i++) symbols[i] = io.svar("symbol", symbols[i]);
                levelData(io);
            }
            default -> throw new NnzipException("tensor '" + name + "': unknown coding method " + method);
        }
    }

    /** Row skip fields of a DOM_UNIFORM unit (format version 6, {@link io.nnzip.codec.RowSkip}). */
    private void rowSkip(SyntaxIO io) {
        int rs = io.u8("row_skip", rowFlags == null ? 0 : 1);
        if (rs > 1) throw new NnzipException("tensor '" + name + "': unknown row skip mode " + rs);
        if (rs == 0) {
            rowFlags = null;
            keptRows = -1;
            return;
        }
        if (dims.length < 2) throw new NnzipException("tensor '" + name + "': row skip flags need rank >= 2, got " + dims.length);
        keptRows = io.count("kept_rows", keptRows, dims[0]);
        rowFlags = io.blob("row_flags", rowFlags);
    }

    /** Elements whose levels are coded: all, or those of the kept rows with row skip flags. */
    public long codedElements() {
        long n = numel();
        if (rowFlags == null || n < 0) return n;
        return dims[0] == 0 ? 0 : n / dims[0] * keptRows;
    }

    private void levelData(SyntaxIO io) {
        if (formatVersion < 3) {
            slices = new byte[][] {io.blob("coded", slices.length == 0 ? new byte[0] : slices[0])};
            sliceElements = Math.max(1, numel());
            return;
        }
        sliceElements = io.uvar("slice_elements", sliceElements);
        long n = codedElements();
        if (n < 0) throw new NnzipException("tensor '" + name + "': shape is too large");
        if (sliceElements < 1) throw new NnzipException("tensor '" + name + "': slice length " + sliceElements + " must be positive");
        long s = Math.max(1, (n + sliceElements - 1) / sliceElements);
        if (io.reading()) {
            if (s > remainingOf(io)) throw new NnzipException("tensor '" + name + "': " + s + " slices exceed the unit");
            slices = new byte[(int) s][];
        } else if (slices.length != s) throw new IllegalStateException("tensor '" + name + "': " + slices.length + " slices, syntax needs " + s);
        for (int i = 0; i < s; i++) slices[i] = io.blob("coded", slices[i]);
    }

    /** Bytes of arithmetic-coded data (all slices, or the float coder's output). */
    public long codedBytes() {
        if (method == FLOAT_LOSSLESS || method == FLOAT_REDUCED) return coded.length;
        long b = 0;
        for (byte[] s : slices) b += s.length;
        return b;
    }

    private static int remainingOf(SyntaxIO io) {
        return io instanceof io.nnzip.codec.syntax.SyntaxReader r ? r.source().remaining() : Integer.MAX_VALUE;
    }

    private void binarization(SyntaxIO io) {
        if (formatVersion >= 3) {
            scheme = io.u8("scheme", scheme);
            boolean columns = scheme == SCHEME_RICE_COLUMNS && formatVersion >= 7;
            if (scheme != SCHEME_RICE && scheme != SCHEME_ZIGZAG && !columns) throw new NnzipException("tensor '" + name + "': unknown level binarization scheme " + scheme);
            if (columns && (method != DOM_UNIFORM || dims.length < 2 || RowSkip.rowLength(dims) < 1))
                throw new NnzipException("tensor '" + name + "': level scheme 2 needs a difference tensor of rank >= 2");
            riceK = io.u8("k", riceK);
            if (io.reading()) RiceLevelBinarization.checkK(riceK);
            return;
        }
        if (formatVersion >= 2) {
            riceK = io.u8("rice_k", riceK);
            if (io.reading()) RiceLevelBinarization.checkK(riceK);
            return;
        }
        maxGt = io.u8("max_gt", maxGt);
        egk = io.u8("eg_order", egk);
        if (io.reading()) new LevelBinarization.Params(maxGt, egk);
    }

    /** Whether the levels use the version-1 binarization (greater-than flags and Exp-Golomb). */
    public boolean legacyLevels() { return formatVersion < 2; }

    public LevelBinarization.Params params() { return new LevelBinarization.Params(maxGt, egk); }

    public long numel() {
        long n = 1;
        for (long d : dims) {
            if (d < 0 || d > Integer.MAX_VALUE) return -1;
            n *= d;
            if (n > Integer.MAX_VALUE - 8) return -1;
        }
        return n;
    }
}
