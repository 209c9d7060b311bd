package io.nnzip.train;

import java.io.PrintStream;

/**
 * A one-line live progress bar on stderr, redrawn at most a few times a second:
 * {@code epoch 2/3 [=========>          ] 210/430 loss 0.3121 acc 88.7% 2412 img/s ETA 0:19}.
 */
public final class Progress implements TrainListener {
    private final PrintStream out;
    private final boolean enabled, live;
    private long lastDraw;

    /** The live bar is drawn only on a terminal; elsewhere (logs, pipes) only the per-epoch lines are printed. */
    public Progress(PrintStream out, boolean enabled) {
        this.out = out;
        this.enabled = enabled;
        java.io.Console c = System.console();
        this.live = enabled && c != null && c.isTerminal();
    }

    @Override
    public void step(int epoch, int epochs, int batch, int batches, float loss, float accuracy, double imagesPerSecond, double etaSeconds) {
        if (!live) return;
        long now = System.nanoTime();
        if (batch < batches && now - lastDraw < 200_000_000L) return;
        lastDraw = now;
        int width = 24, filled = (int) ((long) width * batch / Math.max(1, batches));
        String bar = "=".repeat(Math.max(0, filled - 1)) + (filled > 0 ? (batch == batches ? "=" : ">") : "") + " ".repeat(width - filled);
        out.printf("\repoch %d/%d [%s] %d/%d loss %.4f acc %.1f%% %.0f img/s ETA %s   ", epoch, epochs, bar, batch, batches,
                loss, 100 * accuracy, imagesPerSecond, time(etaSeconds));
        out.flush();
    }

    @Override
    public void epochEnd(Trainer.EpochStats s) {
        if (!enabled) return;
        out.printf((live ? "\r" : "") + "epoch %d: train loss %.4f acc %.2f%% | val loss %.4f acc %.2f%% | %.1f s, %.0f img/s%s%n", s.epoch(), s.trainLoss(),
                100 * s.trainAccuracy(), s.valLoss(), 100 * s.valAccuracy(), s.seconds(), s.imagesPerSecond(), " ".repeat(30));
        out.flush();
    }

    static String time(double s) {
        if (!Double.isFinite(s)) return "?";
        long t = Math.round(s);
        return t >= 3600 ? String.format("%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String.format("%d:%02d", t / 60, t % 60);
    }
}
