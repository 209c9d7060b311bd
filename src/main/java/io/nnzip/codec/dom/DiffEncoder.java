package io.nnzip.codec.dom;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.ModelEncoder;
import io.nnzip.codec.ModelHash;
import io.nnzip.codec.TensorReport;
import io.nnzip.codec.TensorSource;
import io.nnzip.codec.format.NnzFormat;
import io.nnzip.codec.format.NnzWriter;
import io.nnzip.codec.format.StreamHeader;
import io.nnzip.ir.Model;
import io.nnzip.ir.Version;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.util.List;

/**
 * Sequential transmission: codes a new model as the quantized difference of models (DoM) against the base <em>as
 * the receiver holds it</em> — by default the reconstruction of {@code encode(base)} at the same options, or the
 * base itself when it already is what the receiver has (an earlier decode or patch result). Sender and receiver
 * therefore stay in lockstep: quantization error never accumulates across updates. The update names its base by
 * {@link ModelHash}, so {@link Patcher} refuses to apply it to any other model.
 */
public final class DiffEncoder {
    /** Result: per-tensor reports and the base hash the update was made against. */
    public record Result(List<TensorReport> tensors, byte[] baseHash, long bytes) {}

    private DiffEncoder() {}

    public static byte[] diff(Model base, Model next, CodecOptions o, boolean baseAsReceived) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        diff(base, next, o, baseAsReceived, out);
        return out.toByteArray();
    }

    public static Result diff(Model base, Model next, CodecOptions o, boolean baseAsReceived, OutputStream out) {
        return diff(base, o, next, o, baseAsReceived, out);
    }

    /**
     * As {@link #diff(Model, Model, CodecOptions, boolean, OutputStream)}, with the update coded at its own options
     * {@code update} while the receiver's base is {@code encode(base, baseOptions)}: an update step chosen for the
     * change (coarser than the base's) does not re-code the base. The header's recipe then also records the base's
     * recipe ({@link CodecOptions#withBaseRecipe}), so a patch given the original base can still rebuild the
     * receiver's copy.
     */
    public static Result diff(Model base, CodecOptions baseOptions, Model next, CodecOptions update, boolean baseAsReceived, OutputStream out) {
        Model received = baseAsReceived || baseOptions.lossless() ? base : ModelEncoder.reconstruct(base, baseOptions);
        return diffReceived(received, next, update, baseAsReceived || baseOptions.recipe().equals(update.recipe()) ? null : baseOptions.recipe(), out);
    }

    /** Codes {@code next} against {@code received} (the receiver's copy); {@code baseRecipe} (or null) is recorded for re-coding receivers. */
    public static Result diffReceived(Model received, Model next, CodecOptions o, String baseRecipe, OutputStream out) {
        byte[] hash = ModelHash.of(received);
        String recipe = baseRecipe == null ? o.recipe() : CodecOptions.withBaseRecipe(o.recipe(), baseRecipe);
        NnzWriter w = new NnzWriter(out, new StreamHeader(NnzFormat.KIND_UPDATE, Version.VERSION, recipe, hash));
        ModelEncoder.Written r = ModelEncoder.writeUnits(w, TensorSource.of(next), received, o, false);
        long bytes = w.finish();
        return new Result(r.tensors(), hash, bytes);
    }
}
