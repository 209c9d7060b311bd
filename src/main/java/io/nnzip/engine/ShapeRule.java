package io.nnzip.engine;

import io.nnzip.ir.Node;

/**
 * Infers a node's output types from its input types ({@code in[i]} null where omitted). Rules throw
 * {@link io.nnzip.ir.NnzipException} on inconsistent inputs (a shape mismatch) and return unknown dims
 * (-1) or a null shape where the result depends on data that is not constant.
 */
@FunctionalInterface
public interface ShapeRule {
    ValueType[] infer(Node node, ValueType[] in, int opset);
}
