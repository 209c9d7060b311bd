package io.nnzip.codec;

import io.nnzip.codec.binarize.SymbolBinarization;
import io.nnzip.codec.cabac.RangeEncoder;
import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The INT_SYMBOLS method: an integer tensor with at most 256 distinct values (a k-means index tensor, a mask) coded
 * as ranks into a symbol table, most frequent value first. Chosen over INT_LEVELS only when the whole unit is
 * smaller, so tensors whose values really are small signed numbers keep the level coding.
 */
final class IntSymbols {
    private IntSymbols() {}

    /** Recodes {@code u} (an INT_LEVELS unit of {@code t}) as INT_SYMBOLS if that makes the unit smaller. */
    static void tryCheaper(TensorUnit u, Tensor t) {
        int n = t.size();
        if (n == 0) return;
        Map<Long, int[]> counts = new HashMap<>();
        for (int i = 0; i < n; i++) {
            counts.computeIfAbsent(t.getLong(i), k -> new int[1])[0]++;
            if (counts.size() > SymbolBinarization.MAX_SYMBOLS) return;
        }
        // Most frequent first (ties by value, so the table does not depend on hash order).
        long[] symbols = counts.entrySet().stream()
                .sorted((x, y) -> x.getValue()[0] != y.getValue()[0] ? Integer.compare(y.getValue()[0], x.getValue()[0]) : Long.compare(x.getKey(), y.getKey()))
                .mapToLong(Map.Entry::getKey).toArray();
        Map<Long, Integer> rank = new HashMap<>();
        for (int i = 0; i < symbols.length; i++) rank.put(symbols[i], i);
        int[] r = new int[n];
        for (int i = 0; i < n; i++) r[i] = rank.get(t.getLong(i));

        TensorUnit s = new TensorUnit();
        s.index = u.index;
        s.name = u.name;
        s.dtype = u.dtype;
        s.dims = u.dims;
        s.method = TensorUnit.INT_SYMBOLS;
        s.symbols = symbols;
        s.sliceElements = TensorCodec.SLICE;
        int slices = Math.max(1, (n + TensorCodec.SLICE - 1) / TensorCodec.SLICE);
        s.slices = new byte[slices][];
        IntStream.range(0, slices).forEach(i -> {
            int from = i * TensorCodec.SLICE, to = (int) Math.min(n, (long) from + TensorCodec.SLICE);
            RangeEncoder enc = new RangeEncoder((to - from) / 2 + 64);
            SymbolBinarization.encode(r, from, to, symbols.length, enc, SymbolBinarization.contexts(symbols.length));
            s.slices[i] = enc.finish();
        });
        if (unitBytes(s) >= unitBytes(u)) return;
        u.method = TensorUnit.INT_SYMBOLS;
        u.symbols = s.symbols;
        u.sliceElements = s.sliceElements;
        u.slices = s.slices;
    }

    private static int unitBytes(TensorUnit u) {
        return ModelEncoder.payload(u::syntax).length;
    }

    /** The tensor whose element i is {@code symbols[ranks[i]]}. */
    static Tensor decode(TensorUnit u, DType dt, int[] shape, int[] ranks) {
        Tensor t = Tensor.zeros(dt, shape);
        Object a = t.data();
        long[] sym = u.symbols;
        for (int i = 0; i < ranks.length; i++) {
            long v = sym[ranks[i]];
            switch (a) {
                case byte[] x -> x[i] = (byte) v;
                case int[] x -> x[i] = (int) v;
                case long[] x -> x[i] = v;
                default -> throw new NnzipException("tensor '" + u.name + "': int-symbols cannot hold " + dt.lower());
            }
        }
        return t;
    }
}
