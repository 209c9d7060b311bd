package io.nnzip.train;

/** Hears about training progress: after every step and at the end of every epoch. */
public interface TrainListener {
    default void step(int epoch, int epochs, int batch, int batches, float loss, float accuracy, double imagesPerSecond, double etaSeconds) {}

    default void epochEnd(Trainer.EpochStats stats) {}

    TrainListener NONE = new TrainListener() {};
}
