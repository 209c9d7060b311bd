package io.nnzip.data;

import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Mini-batches over a dataset for one epoch: a seeded shuffle (a function of seed and epoch only), normalization
 * and augmentation, assembled on a background thread a couple of batches ahead of the consumer. The last batch
 * may be smaller. Close it (try-with-resources) to stop the producer early.
 */
public final class BatchLoader implements Iterator<Batch>, AutoCloseable {
    private static final Batch END = new Batch(null, new int[0]);
    private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(3);
    private final Thread producer;
    private final int batches;
    private Object next;
    private volatile boolean closed;

    public BatchLoader(Dataset d, int batchSize, boolean shuffle, Normalization norm, Augment aug, long seed, int epoch) {
        if (batchSize <= 0) throw new NnzipException("batch size must be positive, got " + batchSize);
        this.batches = (d.size() + batchSize - 1) / batchSize;
        SplittableRandom rng = new SplittableRandom(seed * 1_000_003L + epoch);
        int[] order = shuffle ? Shuffle.permutation(d.size(), rng.split()) : identity(d.size());
        SplittableRandom augRng = rng.split();
        producer = new Thread(() -> produce(d, batchSize, order, norm, aug, augRng), "nnzip-batches");
        producer.setDaemon(true);
        producer.start();
    }

    public int batches() { return batches; }

    private void produce(Dataset d, int bs, int[] order, Normalization norm, Augment aug, SplittableRandom rng) {
        int is = d.imageSize(), c = d.channels(), h = d.height(), w = d.width();
        float[] scratch = new float[h * w];
        try {
            for (int start = 0; start < order.length && !closed; start += bs) {
                int n = Math.min(bs, order.length - start);
                float[] x = new float[n * is];
                int[] y = new int[n];
                for (int i = 0; i < n; i++) {
                    int src = order[start + i];
                    System.arraycopy(d.pixels(), src * is, x, i * is, is);
                    y[i] = d.label(src);
                    if (aug.enabled()) aug.apply(x, i * is, c, h, w, scratch, rng);
                }
                norm.apply(x, 0, n, c, h * w);
                queue.put(new Batch(new Tensor(DType.FLOAT, new int[] {n, c, h, w}, x), y));
            }
            queue.put(END);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            queue.offer(e);
        }
    }

    private static int[] identity(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        return p;
    }

    @Override
    public boolean hasNext() {
        if (next == null) {
            try {
                next = queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new NnzipException("interrupted while loading data");
            }
        }
        if (next instanceof RuntimeException e) throw e;
        return next != END;
    }

    @Override
    public Batch next() {
        if (!hasNext()) throw new NoSuchElementException();
        Batch b = (Batch) next;
        next = null;
        return b;
    }

    @Override
    public void close() {
        closed = true;
        producer.interrupt();
    }
}
