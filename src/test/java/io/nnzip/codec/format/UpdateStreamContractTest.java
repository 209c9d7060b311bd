package io.nnzip.codec.format;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.ModelEncoder;
import io.nnzip.codec.NnzCodec;
import io.nnzip.codec.SyntheticModels;
import io.nnzip.ir.Model;

class UpdateStreamContractTest extends NnzStreamContract {
    private static final Model BASE = SyntheticModels.cnn(1, 4, 8, 16);
    private static final byte[] STREAM = NnzCodec.diff(BASE, SyntheticModels.finetune(BASE, 2, 0.05), CodecOptions.defaults());
    /** The receiver's copy of the base: patching it needs no re-coding, which keeps the many cases below fast. */
    private static final Model RECEIVED = ModelEncoder.reconstruct(BASE, CodecOptions.defaults());

    @Override
    protected byte[] validStream() { return STREAM.clone(); }

    @Override
    protected void decode(byte[] data) { NnzCodec.patch(RECEIVED, data); }
}
