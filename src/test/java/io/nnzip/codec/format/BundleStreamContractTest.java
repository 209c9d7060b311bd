package io.nnzip.codec.format;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.NnzCodec;
import io.nnzip.codec.SyntheticModels;
import io.nnzip.ir.Model;
import java.util.LinkedHashMap;

class BundleStreamContractTest extends NnzStreamContract {
    private static final byte[] STREAM;

    static {
        Model p = SyntheticModels.cnn(1, 4, 8, 16);
        LinkedHashMap<String, Model> ms = new LinkedHashMap<>();
        ms.put("a.onnx", SyntheticModels.finetune(p, 3, 0.05));
        ms.put("parent.onnx", p);
        ms.put("b.onnx", SyntheticModels.finetune(p, 4, 0.05));
        STREAM = NnzCodec.pack(ms, "auto", CodecOptions.defaults());
    }

    @Override
    protected byte[] validStream() { return STREAM.clone(); }

    @Override
    protected void decode(byte[] data) { NnzCodec.unpack(data); }
}
