package io.nnzip.engine;

import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;

/** Computes a node's outputs from concrete inputs; {@code in[i]} is null where an optional input is omitted. */
@FunctionalInterface
public interface Kernel {
    Tensor[] run(Node node, Tensor[] in, ExecContext ctx);
}
