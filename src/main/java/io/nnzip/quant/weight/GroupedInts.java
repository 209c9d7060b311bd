package io.nnzip.quant.weight;

import io.nnzip.quant.QuantMath;

/**
 * Grouped integer weights before they are stored: a rows × cols matrix (rows = output channels, cols = the
 * reduction axis) whose row r, group j (cols j·group … (j+1)·group − 1, the last one possibly shorter) decodes as
 * (q − zeroPoint[r·groups + j]) · scale[r·groups + j]. Plain rounding and GPTQ both produce this; the containers
 * (blocked int4, int8 rows, MatMulNBits) only differ in how they lay it out.
 */
public record GroupedInts(int[] q, float[] scales, int[] zeroPoints, int rows, int cols, int group, int bits) {
    public int groups() { return (cols + group - 1) / group; }

    /** The decoded values, row-major rows × cols. */
    public float[] decoded() {
        float[] d = new float[q.length];
        int gs = groups();
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) {
                int k = r * gs + c / group;
                d[r * cols + c] = QuantMath.dequantize(q[r * cols + c], scales[k], zeroPoints[k]);
            }
        return d;
    }

    float minScale() {
        float m = Float.MAX_VALUE;
        for (float s : scales) m = Math.min(m, s);
        return m;
    }

    float maxScale() {
        float m = 0;
        for (float s : scales) m = Math.max(m, s);
        return m;
    }
}
