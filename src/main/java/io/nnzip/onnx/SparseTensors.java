package io.nnzip.onnx;

import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import io.nnzip.onnx.proto.Onnx.SparseTensorProto;
import java.nio.file.Path;

/** Sparse initializers (COO: values plus linear or per-dim indices) become dense tensors on read. */
final class SparseTensors {
    private SparseTensors() {}

    static Tensor densify(SparseTensorProto s, Path baseDir) {
        Tensor values = TensorProtos.read(s.getValues(), baseDir);
        Tensor idx = TensorProtos.read(s.getIndices(), baseDir);
        int[] shape = s.getDimsList().stream().mapToInt(Long::intValue).toArray();
        int[] strides = Shapes.strides(shape);
        Tensor dense = Tensor.zeros(values.dtype(), shape);
        int nnz = values.size();
        boolean linear = idx.rank() == 1;
        for (int k = 0; k < nnz; k++) {
            long off = 0;
            if (linear) off = idx.getLong(k);
            else for (int d = 0; d < shape.length; d++) off += idx.getLong(k * shape.length + d) * strides[d];
            if (off < 0 || off >= dense.size()) throw new NnzipException("sparse initializer '" + s.getValues().getName() + "': index out of range");
            java.lang.reflect.Array.set(dense.data(), (int) off, java.lang.reflect.Array.get(values.data(), k));
        }
        return dense;
    }
}
