package io.nnzip.distill;

import io.nnzip.ir.Model;
import io.nnzip.quant.qdq.LinearPlacement;

/**
 * The soft-target settings a student gets when the user names none. A convolutional student keeps Hinton's
 * T = 4, α = 0.9 with {@link ScaleMatch}; a transformer student (a Softmax and a weight MatMul: attention and
 * linears) gets T = 1, α = 0.5 without scale matching. Measured on Fashion-MNIST (BENCHMARKS.md, issue 13, session
 * 22): with T = 4 and matched scale the ViT student lost 1.4–4.8 points to itself trained alone; at T = 1 it lost
 * nothing from ViT and CNN teachers alike, α = 0.5 doing better than 0.9 on two of three ViT teachers; CNN students
 * gained most at T = 4 with matched scale (matched scale at T = 1 cost both kinds 4–5 points).
 */
public record StudentDefaults(float temperature, float alpha, boolean matchScale) {
    public static final StudentDefaults CONVOLUTIONAL = new StudentDefaults(4f, 0.9f, true), TRANSFORMER = new StudentDefaults(1f, 0.5f, false);

    public static StudentDefaults of(Model student) {
        return LinearPlacement.isTransformer(student.graph()) ? TRANSFORMER : CONVOLUTIONAL;
    }

    /** {@code given} if the user set it, else this student's default. */
    public float temperature(Float given) { return given != null ? given : temperature; }

    public float alpha(Float given) { return given != null ? given : alpha; }

    public boolean matchScale(Boolean given) { return given != null ? given : matchScale; }
}
