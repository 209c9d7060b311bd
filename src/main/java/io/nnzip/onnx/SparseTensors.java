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
        String where = "sparse initializer '" + s.getValues().getName() + "'";
        int[] shape = new int[s.getDimsCount()];
        for (int i = 0; i < shape.length; i++) {
            long d = s.getDims(i);
            if (d < 0 || d > Integer.MAX_VALUE) throw new NnzipException(where + ": invalid dimension " + d);
            shape[i] = (int) d;
        }
        Shapes.numel(shape); // refuses element counts past 2^31 before anything is allocated
        if (idx.rank() > 2 || (idx.rank() == 2 && idx.shape()[1] != shape.length) || idx.size() < (idx.rank() == 2 ? values.size() * shape.length : values.size()))
            throw new NnzipException(where + ": indices of shape " + Shapes.str(idx.shape()) + " do not match " + values.size() + " values of a rank-" + shape.length + " tensor");
        int[] strides = Shapes.strides(shape);
        Tensor dense = Tensor.zeros(values.dtype(), shape);
        int nnz = values.size();
        boolean linear = idx.rank() == 1;
        for (int k = 0; k < nnz; k++) {
            long off = 0;
            if (linear) off = idx.getLong(k);
            else for (int d = 0; d < shape.length; d++) off += idx.getLong(k * shape.length + d) * strides[d];
            if (off < 0 || off >= dense.size()) throw new NnzipException(where + ": index out of range");
            java.lang.reflect.Array.set(dense.data(), (int) off, java.lang.reflect.Array.get(values.data(), k));
        }
        return dense;
    }
}
