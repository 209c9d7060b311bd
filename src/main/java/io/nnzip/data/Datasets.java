package io.nnzip.data;

import io.nnzip.ir.NnzipException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resolves a {@code --data} argument to a dataset split. Known names (fashion-mnist, mnist) read the IDX files the
 * Debian data packages install under {@code /usr/share/datasets} (or {@code $NNZIP_DATASETS}); anything else is a
 * path: an .npz/.npy file, or an image folder (DIR/train and DIR/test class folders, or class folders directly).
 */
public final class Datasets {
    private Datasets() {}

    public static final String[] FASHION_CLASSES = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};

    /** {@code split} is "train" or "test". */
    public static Dataset load(String spec, String split) {
        if (!split.equals("train") && !split.equals("test")) throw new IllegalArgumentException("split " + split);
        String key = spec.toLowerCase();
        if (key.equals("fashion-mnist") || key.equals("fashion_mnist") || key.equals("mnist")) return idx(key.replace('_', '-'), split);
        Path p = Path.of(spec);
        if (!Files.exists(p))
            throw new NnzipException("dataset '" + spec + "' not found: give fashion-mnist, mnist, an .npz file or an image folder");
        if (Files.isDirectory(p)) {
            Path sub = p.resolve(split);
            return ImageFolder.read(Files.isDirectory(sub) ? sub : p);
        }
        return NpyDataset.read(p, split);
    }

    private static Dataset idx(String name, String split) {
        Path dir = root().resolve(name);
        String prefix = split.equals("test") ? "t10k" : "train";
        Path images = dir.resolve(prefix + "-images-idx3-ubyte.gz"), labels = dir.resolve(prefix + "-labels-idx1-ubyte.gz");
        if (!Files.exists(images) && Files.exists(dir.resolve(prefix + "-images-idx3-ubyte"))) {
            images = dir.resolve(prefix + "-images-idx3-ubyte");
            labels = dir.resolve(prefix + "-labels-idx1-ubyte");
        }
        if (!Files.exists(images) || !Files.exists(labels)) {
            DataPackages.ensure(name, labels);
            DataPackages.ensure(name, images);
        }
        return IdxReader.read(name + " " + split, images, labels, 10);
    }

    private static Path root() {
        String env = System.getenv("NNZIP_DATASETS");
        return Path.of(env != null && !env.isBlank() ? env : "/usr/share/datasets");
    }

    /** Class names when known (Fashion-MNIST), else the indices. */
    public static String[] classNames(String spec, int classes) {
        if (spec.toLowerCase().startsWith("fashion") && classes == 10) return FASHION_CLASSES.clone();
        String[] s = new String[classes];
        for (int i = 0; i < classes; i++) s[i] = Integer.toString(i);
        return s;
    }
}
