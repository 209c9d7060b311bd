package io.nnzip.data;

import io.nnzip.ir.NnzipException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * A directory with one sub-directory per class (sorted names give the class indices) of PNG/JPEG images.
 * All images must share the first image's size; grey images give one channel, colour images three.
 */
public final class ImageFolder {
    private ImageFolder() {}

    public static Dataset read(Path dir) {
        List<Path> classDirs;
        try (Stream<Path> s = Files.list(dir)) {
            classDirs = s.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            throw new NnzipException("cannot list " + dir + ": " + e.getMessage());
        }
        if (classDirs.isEmpty()) throw new NnzipException(dir + ": no class sub-directories (expected DIR/<class>/<image>.png)");
        List<float[]> images = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        int[] geom = null;
        for (int c = 0; c < classDirs.size(); c++) {
            List<Path> files;
            try (Stream<Path> s = Files.list(classDirs.get(c))) {
                files = s.filter(p -> p.toString().toLowerCase().matches(".*\\.(png|jpe?g)$")).sorted().toList();
            } catch (IOException e) {
                throw new NnzipException("cannot list " + classDirs.get(c) + ": " + e.getMessage());
            }
            for (Path f : files) {
                BufferedImage img;
                try {
                    img = ImageIO.read(f.toFile());
                } catch (IOException e) {
                    throw new NnzipException(f + ": " + e.getMessage());
                }
                if (img == null) throw new NnzipException(f + ": not a readable image");
                int ch = img.getColorModel().getNumColorComponents() == 1 ? 1 : 3;
                if (geom == null) geom = new int[] {ch, img.getHeight(), img.getWidth()};
                if (geom[0] != ch || geom[1] != img.getHeight() || geom[2] != img.getWidth())
                    throw new NnzipException(f + ": image is " + ch + "x" + img.getHeight() + "x" + img.getWidth() + ", the first image was " + geom[0] + "x" + geom[1] + "x" + geom[2]);
                images.add(pixels(img, ch));
                labels.add(c);
            }
        }
        if (geom == null) throw new NnzipException(dir + ": no PNG or JPEG images found");
        int is = geom[0] * geom[1] * geom[2];
        float[] px = new float[images.size() * is];
        for (int i = 0; i < images.size(); i++) System.arraycopy(images.get(i), 0, px, i * is, is);
        return new Dataset(dir.getFileName().toString(), px, labels.stream().mapToInt(Integer::intValue).toArray(), geom[0], geom[1], geom[2], classDirs.size());
    }

    // image -> (C,H,W) in [0,1]
    private static float[] pixels(BufferedImage img, int ch) {
        int h = img.getHeight(), w = img.getWidth();
        float[] out = new float[ch * h * w];
        if (ch == 1) {
            var raster = img.getRaster();
            for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) out[y * w + x] = raster.getSample(x, y, 0) / 255f;
            return out;
        }
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int rgb = img.getRGB(x, y);
                out[y * w + x] = ((rgb >> 16) & 0xFF) / 255f;
                out[h * w + y * w + x] = ((rgb >> 8) & 0xFF) / 255f;
                out[2 * h * w + y * w + x] = (rgb & 0xFF) / 255f;
            }
        return out;
    }
}
