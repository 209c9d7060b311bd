package io.nnzip.codec.format;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.NnzCodec;
import io.nnzip.codec.SyntheticModels;
import io.nnzip.ir.Model;

class UpdateStreamContractTest extends NnzStreamContract {
    private static final Model BASE = SyntheticModels.cnn(1, 4, 8, 16);
    private static final byte[] STREAM = NnzCodec.diff(BASE, SyntheticModels.finetune(BASE, 2, 0.05), CodecOptions.defaults());

    @Override
    protected byte[] validStream() { return STREAM.clone(); }

    @Override
    protected void decode(byte[] data) { NnzCodec.patch(BASE, data); }
}
