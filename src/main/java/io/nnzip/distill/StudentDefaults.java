package io.nnzip.distill;

import io.nnzip.ir.Model;
import io.nnzip.quant.qdq.LinearPlacement;

/**
 * The soft-target settings a student gets when the user names none. A convolutional student keeps Hinton's
 * T = 4 with {@link ScaleMatch}; a transformer student (a Softmax and a weight MatMul: attention and linears) gets
 * T = 1 without scale matching. Measured on Fashion-MNIST (BENCHMARKS.md, issue 13, session 22): with T = 4 and
 * matched scale the ViT student lost 2.8–4.8 points to itself trained alone, at T = 1 it gained, from ViT and CNN
 * teachers alike, while CNN students gained most at T = 4 with matched scale.
 */
public record StudentDefaults(float temperature, boolean matchScale) {
    public static final StudentDefaults CONVOLUTIONAL = new StudentDefaults(4f, true), TRANSFORMER = new StudentDefaults(1f, false);

    public static StudentDefaults of(Model student) {
        return LinearPlacement.isTransformer(student.graph()) ? TRANSFORMER : CONVOLUTIONAL;
    }

    /** {@code given} if the user set it, else this student's default. */
    public float temperature(Float given) { return given != null ? given : temperature; }

    public boolean matchScale(Boolean given) { return given != null ? given : matchScale; }
}
