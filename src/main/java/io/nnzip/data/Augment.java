package io.nnzip.data;

import java.util.SplittableRandom;

/**
 * Training-time augmentation of one (C,H,W) image in place: a random crop after zero padding by {@code pad}
 * pixels (a shift of up to ±pad), and a horizontal flip with probability 1/2.
 */
public record Augment(int pad, boolean flip) {
    public static final Augment NONE = new Augment(0, false);

    public boolean enabled() { return pad > 0 || flip; }

    // img: (C,H,W) at off, scratch: at least H·W floats
    public void apply(float[] img, int off, int c, int h, int w, float[] scratch, SplittableRandom rng) {
        int dy = pad > 0 ? rng.nextInt(2 * pad + 1) - pad : 0, dx = pad > 0 ? rng.nextInt(2 * pad + 1) - pad : 0;
        boolean mirror = flip && rng.nextBoolean();
        if (dy == 0 && dx == 0 && !mirror) return;
        for (int ch = 0; ch < c; ch++) {
            int o = off + ch * h * w;
            System.arraycopy(img, o, scratch, 0, h * w);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    int sy = y + dy, sx0 = x + dx, sx = mirror ? w - 1 - sx0 : sx0;
                    img[o + y * w + x] = sy >= 0 && sy < h && sx0 >= 0 && sx0 < w ? scratch[sy * w + sx] : 0f;
                }
        }
    }
}
