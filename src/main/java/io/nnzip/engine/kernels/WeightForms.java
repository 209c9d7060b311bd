package io.nnzip.engine.kernels;

import io.nnzip.ir.WeightWrites;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.Supplier;

/**
 * Forms the kernels derive from a weight array (a packing, compressed rows), kept per array identity and reused while
 * the array's contents are unchanged. Arrays are plain {@code float[]} that an optimizer may update in place, so an
 * entry keeps a copy of the range it was derived from; the copy is compared only after a {@link WeightWrites#bump}:
 * while the stamp has not moved since the last compare, the entry is taken as it is (comparing a large layer's weights
 * on every call was serial work on the caller, from memory after a pause). One entry per array; arrays are held weakly.
 *
 * @param <T> the derived form; may be null (a form that says "none", such as a layer the dense kernel runs faster)
 */
public final class WeightForms<T> {
    private static final class Entry<T> {
        final Object layout;
        final int off;
        final float[] contents;
        final T form;
        /** The {@link WeightWrites} stamp at which {@link #contents} last equalled the array. */
        volatile long checked;

        Entry(Object layout, int off, float[] contents, T form, long checked) {
            this.layout = layout;
            this.off = off;
            this.contents = contents;
            this.form = form;
            this.checked = checked;
        }
    }

    private final Map<float[], Entry<T>> cache = Collections.synchronizedMap(new WeakHashMap<>());

    /**
     * The form derived from {@code w[off, off + size)} read as {@code layout} (anything with value equality: the
     * shape, transposition, whatever else the form depends on), derived by {@code derive} when not cached or changed.
     */
    public T get(float[] w, int off, int size, Object layout, Supplier<T> derive) {
        // read before the compare: a write racing with it bumps past this stamp and forces the next caller to compare
        long epoch = WeightWrites.epoch();
        Entry<T> e = cache.get(w);
        if (holds(e, w, off, size, layout, epoch)) return e.form;
        T form = derive.get();
        cache.put(w, new Entry<>(layout, off, Arrays.copyOfRange(w, off, off + size), form, epoch));
        return form;
    }

    /** The cached form of that range and layout if its contents are unchanged, else null; derives nothing. */
    public T cached(float[] w, int off, int size, Object layout) {
        long epoch = WeightWrites.epoch();
        Entry<T> e = cache.get(w);
        return holds(e, w, off, size, layout, epoch) ? e.form : null;
    }

    // the compare comes last: it reads the whole range
    private static boolean holds(Entry<?> e, float[] w, int off, int size, Object layout, long epoch) {
        if (e == null || e.off != off || e.contents.length != size || !e.layout.equals(layout)) return false;
        if (e.checked == epoch) return true;
        if (!Arrays.equals(e.contents, 0, size, w, off, off + size)) return false;
        e.checked = epoch;
        return true;
    }
}
