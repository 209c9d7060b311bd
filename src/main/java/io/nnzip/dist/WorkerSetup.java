package io.nnzip.dist;

import io.nnzip.ir.Model;
import io.nnzip.train.Param;
import io.nnzip.train.Trainer;
import java.io.Serializable;
import java.util.List;

/**
 * What a training step needs besides the plain Trainer (hooks, extra parameters, derived weights), as plain values
 * that travel to remote workers: each worker, and the driver, builds the same hooks from it. Quantization-aware
 * training is one ({@code quant.qat.QatSpec}).
 */
public interface WorkerSetup extends Serializable {
    /**
     * Adds this setup's hooks and extra parameters to {@code o} for training {@code m}, and may set initializers of
     * {@code m} the hooks derive (so the first step reads them as later ones do); call before building the Trainer.
     */
    Session start(Model m, Trainer.Options o);

    /** One Trainer's live side of the setup. */
    interface Session {
        /**
         * The state data-parallel copies exchange and average, in a fixed order: what the optimizer steps (model
         * parameters that are not derived, shadow weights) and state the hooks keep (learned scales, tracked ranges).
         */
        List<Param> exchanged(Trainer t);

        /** After {@link #exchanged} values were overwritten (averaged): derive what the hooks derive from them. */
        void synced(Trainer t);

        /** Releases what the session holds (threads of a teacher's engine); called when its Trainer is closed. */
        default void close() {}
    }
}
