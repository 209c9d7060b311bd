package io.nnzip.codec.format;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.NnzCodec;
import io.nnzip.codec.SyntheticModels;

class ModelStreamContractTest extends NnzStreamContract {
    private static final byte[] STREAM = NnzCodec.encode(SyntheticModels.cnn(1, 4, 8, 16), CodecOptions.defaults());

    @Override
    protected byte[] validStream() { return STREAM.clone(); }

    @Override
    protected void decode(byte[] data) { NnzCodec.decode(data); }
}
