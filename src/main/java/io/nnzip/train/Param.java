package io.nnzip.train;

/**
 * A trainable parameter: the live value array (the model's initializer, updated in place), its gradient for the
 * current step, and whether weight decay applies (matrices and filters, not biases or BN shifts).
 */
public final class Param {
    private final String name;
    private final float[] value;
    private final boolean decay;
    float[] grad;

    public Param(String name, float[] value, boolean decay) {
        this.name = name;
        this.value = value;
        this.decay = decay;
        this.grad = new float[value.length];
    }

    public String name() { return name; }

    public float[] value() { return value; }

    public float[] grad() { return grad; }

    public boolean decay() { return decay; }

    public int size() { return value.length; }
}
