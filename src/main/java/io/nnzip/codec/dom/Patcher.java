package io.nnzip.codec.dom;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.ModelEncoder;
import io.nnzip.codec.ModelHash;
import io.nnzip.codec.StreamDecoder;
import io.nnzip.codec.format.NnzFormat;
import io.nnzip.codec.format.NnzReader;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import java.util.Arrays;

/**
 * Applies an update made by {@link DiffEncoder}. The base must hash to the update's base hash; if the caller passes
 * the original (uncoded) base instead of the receiver's copy, it is first reconstructed with the update's recipe.
 */
public final class Patcher {
    private Patcher() {}

    public static Model patch(Model base, byte[] update, String updateName, int threads) {
        NnzReader r = new NnzReader(update, updateName);
        if (r.header().kind != NnzFormat.KIND_UPDATE)
            throw new NnzipException(updateName + " is a " + NnzFormat.kindName(r.header().kind) + " stream, not an update (use decode/unpack)");
        byte[] want = r.header().baseHash;
        if (want.length != 32)
            throw new io.nnzip.codec.format.NnzFormatException(io.nnzip.codec.format.NnzFormatException.Kind.UNDECODABLE, true,
                    updateName + ": an update must name its base by a 32-byte hash, this one has " + want.length + " bytes", null);
        byte[] have = ModelHash.of(base);
        Model received = base;
        if (!Arrays.equals(want, have)) {
            CodecOptions o = CodecOptions.parseRecipe(CodecOptions.baseRecipe(r.header().recipe), threads);
            Model rebuilt = o.lossless() ? base : ModelEncoder.reconstruct(base, o);
            if (!Arrays.equals(want, ModelHash.of(rebuilt)))
                throw new NnzipException(updateName + " was made for base " + ModelHash.hex(want).substring(0, 16) + "…, but the given base is "
                        + ModelHash.hex(have).substring(0, 16) + "… (also after re-coding it with the base's recipe '" + CodecOptions.baseRecipe(r.header().recipe) + "')");
            received = rebuilt;
        }
        return StreamDecoder.decodeAll(r, received).values().iterator().next();
    }
}
