package io.nnzip.codec;

import io.nnzip.codec.rd.FashionMnistCodecProbe;
import io.nnzip.onnx.OnnxReader;
import java.nio.file.Path;

/** Prints the Fashion-MNIST test accuracy (all 10,000 images, ONNX Runtime) of each ONNX model given. */
final class ProbeMain {
    public static void main(String[] args) {
        FashionMnistCodecProbe p = new FashionMnistCodecProbe(Path.of("/usr/share/datasets/fashion-mnist"), 0);
        for (String a : args) System.out.printf("%s accuracy %.2f%%%n", a, 100 * p.accuracy(OnnxReader.read(Path.of(a))));
    }
}
