package io.nnzip.spark;

import io.nnzip.data.Augment;
import io.nnzip.data.Batch;
import io.nnzip.data.BatchLoader;
import io.nnzip.data.Dataset;
import io.nnzip.dist.ScaleOut;
import io.nnzip.dist.TrainSpec;
import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.train.LrSchedule;
import io.nnzip.train.Optimizer;
import io.nnzip.train.Param;
import io.nnzip.train.Trainer;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * Data-parallel fine-tuning on Spark without barrier stages (their allGather polls once a second). Each round is one
 * small job: the driver broadcasts the previous round's averaged update (compressed), every worker (one partition
 * each) applies it to its copy of the weights, takes K optimizer steps of the shared {@link Trainer} on its own shard,
 * and sends its compressed weight change; {@code treeAggregate} gathers the compressed messages, the driver averages
 * them and compresses the average again (keeping its own residual) for the next broadcast. Driver and workers apply
 * the same decoded update, so every copy of the weights stays identical.
 * <p>With one local step (K = 1) and int8 or float exchange the workers send their gradients instead, and the driver takes the one optimizer
 * step on their mean, as single-process training on the whole batch would: averaging the workers' own Adam steps
 * normalizes each half-batch gradient by its own, noisier second moment, and one epoch of fine-tuning ended 0.7 pts
 * below the single-process run. State no optimizer steps (BatchNormalization statistics, a setup's ranges and
 * scales) travels as its change and is averaged in both modes.
 * <p>Threshold exchange always sends weight changes, also at K = 1: every worker takes its own optimizer step on its
 * dense gradient and sends the change with error feedback, so the residual holds optimizer steps, as Deep Gradient
 * Compression's momentum correction has it hold velocity. Thresholding gradients for an Adam step on the driver fed
 * Adam rare large impulses: its second moment grew with them and the steps shrank (−0.51 pts against −0.30 on a 20k-image
 * epoch, session 11). The driver forwards the workers' messages as they came and every copy adds their mean
 * ({@link #forwardsMessages}); at the end the residuals go to the driver once, 8-bit ({@link #flushes}).
 * <p>A retried task or a worker on a new executor restarts from the driver's state, as the failure-free run would have
 * it: the weights and the data order advanced to the round. The sender's residual and the worker's own optimizer state
 * live only on the worker: a retry in the same executor JVM continues from the copies taken when the round started; a
 * worker on a new executor starts both afresh (counted in {@code restarts_residual_lost}: the result is then no longer
 * bit-identical).
 */
final class DataParallel {
    /** What one worker keeps between rounds, per executor JVM (keyed by run and worker). */
    private static final class Worker {
        final Trainer trainer;
        final Copy copy;
        final Dataset shard;
        final float[] global;
        final UpdateCodec codec;
        final int index;
        final boolean[] zero;
        final boolean[] viaGradient;
        BatchLoader loader;
        int epoch;
        long round; // the round this worker's state is at the start of; -1 while a round is changing it
        float[] residualAtStart; // the up codec's residual when round residualRound started (a retry continues from it)
        float[] optimizerAtStart; // the worker's own optimizer state then (steps of its own: K > 1), for the same retry
        long residualRound = -1;

        Worker(TrainSpec spec, int w, float[] weights) {
            copy = Copy.of(spec, w);
            trainer = copy.trainer();
            shard = spec.shard(w);
            global = weights.clone();
            index = w;
            zero = zeroMask(copy.exchanged(), spec.zeros());
            viaGradient = stepped(copy);
            codec = new UpdateCodec(spec.exchange(), global.length, exactMask(copy.exchanged(), viaGradient), UpdateCodec.density(spec.workers()));
        }

        void close() {
            if (loader != null) loader.close();
            trainer.close();
            if (copy.session() != null) copy.session().close();
        }

        Batch next(TrainSpec spec) {
            if (loader == null || !loader.hasNext()) {
                if (loader != null) loader.close();
                loader = new BatchLoader(shard, spec.batch(), true, spec.normalization(), Augment.NONE, spec.seed() + index, epoch++);
            }
            return loader.next();
        }

        /** Positions the data order where it is after {@code consumed} batches, as the failure-free run has it. */
        void skip(TrainSpec spec, long consumed) {
            int perEpoch = (shard.size() + spec.batch() - 1) / spec.batch();
            epoch = (int) (consumed / perEpoch);
            for (long s = consumed % perEpoch; s > 0; s--) next(spec);
        }

        /** What a retry of {@code round} in this JVM continues from: the residual, and the worker's own optimizer state. */
        void keepStart(TrainSpec spec, long round) {
            residualAtStart = codec.residual();
            optimizerAtStart = synchronous(spec) ? null : trainer.optimizer().state(trainer.steppedParams());
            residualRound = round;
        }
    }

    private static final Map<String, Worker> WORKERS = new ConcurrentHashMap<>();

    /**
     * One copy of the model in training: its Trainer, the state the copies exchange (the trainable parameters, or
     * what a {@link io.nnzip.dist.WorkerSetup} names: QAT's shadow weights and activation ranges) and the setup's
     * live side, which derives the rest after the exchanged values were overwritten.
     */
    record Copy(Trainer trainer, List<Param> exchanged, io.nnzip.dist.WorkerSetup.Session session) {
        static Copy of(TrainSpec spec, int worker) {
            Model m = OnnxReader.read(spec.model(), null);
            Trainer.Options o = spec.options(worker);
            io.nnzip.dist.WorkerSetup.Session s = spec.setup() == null ? null : spec.setup().start(m, o);
            Trainer t = new Trainer(m, o);
            List<Param> ex = new ArrayList<>(s == null ? t.params() : s.exchanged(t));
            ex.addAll(runningStatistics(t));
            return new Copy(t, ex, s);
        }

        /**
         * BatchNormalization running means and variances (live arrays the training forward pass updates in place):
         * each copy's change travels with the parameters' and is averaged like them, else the driver's model would keep
         * the statistics it started with.
         */
        static List<Param> runningStatistics(Trainer t) {
            var g = t.model().graph();
            java.util.LinkedHashSet<String> names = new java.util.LinkedHashSet<>();
            for (var n : g.nodes())
                if (n.opType().equals("BatchNormalization") && n.inputs().size() >= 5)
                    for (int i = 3; i <= 4; i++) if (g.isInitializer(n.input(i)) && g.initializer(n.input(i)).dtype() == io.nnzip.ir.DType.FLOAT) names.add(n.input(i));
            List<Param> out = new ArrayList<>();
            for (String n : names) out.add(new Param(n, g.initializer(n).floats(), false));
            return out;
        }

        /** Sets the exchanged state to {@code flat} and derives the rest from it. */
        void load(float[] flat) {
            unflatten(flat, exchanged);
            if (session != null) session.synced(trainer);
        }
    }

    /**
     * A worker's reply: its compressed change, training loss sum and count, compute time, where it ran; the bytes it
     * fetched to restart mid-run (0 otherwise) and whether its residual was lost then; a hash of the weights it started
     * the round from, which the driver checks against its own.
     */
    record Reply(int worker, byte[] update, double lossSum, long images, long computeNanos, String where,
                 long restartBytes, boolean residualLost, int weightsHash) implements Serializable {}

    /** The treeAggregate value: the replies gathered so far (messages stay compressed on the way to the driver). */
    static final class Gathered implements Serializable {
        final List<Reply> replies = new ArrayList<>();

        Gathered add(Reply r) {
            replies.add(r);
            return this;
        }

        Gathered merge(Gathered o) {
            replies.addAll(o.replies);
            return this;
        }
    }

    private DataParallel() {}

    static ScaleOut.Trained run(JavaSparkContext sc, TrainSpec spec, int trainSize, Consumer<String> log) {
        String runId = java.util.UUID.randomUUID().toString();
        Copy driverCopy = Copy.of(spec, 0);
        Trainer driver = driverCopy.trainer();
        List<Param> params = driverCopy.exchanged();
        float[] w = flatten(params);
        int n = w.length, workers = spec.workers(), k = spec.localSteps();
        int rounds = spec.roundsPerEpoch(trainSize) * spec.epochs();
        LrSchedule sched = LrSchedule.of(spec.schedule(), spec.lr(), rounds * k, 0, rounds * k, 0.1f);
        boolean[] zero = zeroMask(params, spec.zeros());
        boolean sync = synchronous(spec);
        boolean[] viaGradient = stepped(driverCopy);
        UpdateCodec down = new UpdateCodec(spec.exchange(), n, exactMask(params, viaGradient), UpdateCodec.density(workers));
        List<Param> steppedParams = new ArrayList<>();
        for (int j = 0; j < params.size(); j++) if (viaGradient[j]) steppedParams.add(params.get(j));
        Trainer.Options o = spec.options(0);
        Optimizer optimizer = sync ? Optimizer.create(o.optimizer, o.momentum, o.nesterov, o.weightDecay) : null;
        Broadcast<TrainSpec> bSpec = sc.broadcast(spec);
        JavaRDD<Integer> ids = sc.parallelize(IntStream.range(0, workers).boxed().toList(), workers).cache();
        long upBytes = 0, downBytes = 0, images = 0, computeNanos = 0, restartBytes = 0;
        int restarts = 0, residualsLost = 0, differing = 0;
        double lossSum = 0, lastLoss = Double.NaN;
        TreeSet<String> where = new TreeSet<>();
        byte[] prev = null;
        long t0 = System.nanoTime();
        try {
            for (int r = 0; r < rounds; r++) {
                final long round = r;
                final byte[] update = prev;
                Broadcast<byte[]> bUpdate = sc.broadcast(update == null ? new byte[0] : update);
                // the full weights travel only to a worker that has to start over (first round, lost executor, retry)
                Broadcast<float[]> bWeights = sc.broadcast(w);
                int wHash = java.util.Arrays.hashCode(w);
                float lr = sched.at((int) (round * k));
                Gathered g = ids.map(i -> step(runId, bSpec.value(), i, round, bUpdate, bWeights, lr))
                        .treeAggregate(new Gathered(), Gathered::add, Gathered::merge, 2);
                bUpdate.destroy();
                bWeights.destroy();
                float[] avg = new float[n];
                double roundLoss = 0;
                long roundImages = 0;
                boolean roundDiffered = false;
                g.replies.sort(java.util.Comparator.comparingInt(Reply::worker)); // every copy decodes in this order
                for (Reply rep : g.replies) {
                    UpdateCodec.addDecoded(rep.update(), avg, 1f / workers);
                    upBytes += rep.update().length;
                    roundLoss += rep.lossSum();
                    roundImages += rep.images();
                    computeNanos += rep.computeNanos();
                    if (rep.restartBytes() > 0) restarts++;
                    if (rep.residualLost()) residualsLost++;
                    restartBytes += rep.restartBytes();
                    if (rep.weightsHash() != wHash) roundDiffered = true;
                    where.add("worker " + rep.worker() + ": " + rep.where().replaceAll(" \\(partition.*", ""));
                }
                if (roundDiffered) differing++;
                lossSum += roundLoss;
                images += roundImages;
                lastLoss = roundLoss / Math.max(1, roundImages);
                if (sync) avg = optimizerStep(params, viaGradient, steppedParams, optimizer, avg, w, lr);
                if (forwardsMessages(spec)) {
                    // the workers' messages go down as they came; every copy adds their mean
                    prev = UpdateCodec.forward(g.replies.stream().map(Reply::update).toList());
                    for (int j = 0; j < n; j++) w[j] += avg[j];
                } else {
                    prev = down.encode(avg);
                    UpdateCodec.addDecoded(prev, w, 1f);
                }
                applyZeros(w, zero);
                if (sync) driverCopy.load(w); // the next optimizer step starts from the weights every copy holds
                downBytes += (long) prev.length * workers;
                downBytes += g.replies.stream().mapToLong(Reply::restartBytes).sum(); // full state to restarted workers
                if ((r + 1) % Math.max(1, rounds / 10) == 0 || r + 1 == rounds)
                    log.accept(String.format("round %d/%d: loss %.4f, %s exchange", r + 1, rounds, lastLoss, spec.exchange()));
            }
            if (flushes(spec)) {
                // the workers' residuals hold weight changes they made but did not send yet: the driver's model gets
                // them once at the end, 8-bit, up only (no copy trains on after it)
                Gathered g = ids.map(i -> flush(runId, i)).treeAggregate(new Gathered(), Gathered::add, Gathered::merge, 2);
                g.replies.sort(java.util.Comparator.comparingInt(Reply::worker));
                for (Reply rep : g.replies) {
                    UpdateCodec.addDecoded(rep.update(), w, 1f / workers);
                    upBytes += rep.update().length;
                }
                applyZeros(w, zero);
            }
        } catch (Exception e) { // SparkException is checked, and Scala throws it undeclared
            throw SparkContexts.explain(e);
        } finally {
            ids.foreach(i -> {
                Worker gone = WORKERS.remove(runId + "/" + i);
                if (gone != null) gone.close();
            });
            bSpec.destroy();
            driver.close();
            if (driverCopy.session() != null) driverCopy.session().close();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        driverCopy.load(w);
        long floatBytes = 2L * rounds * workers * UpdateCodec.floatBytes(n);
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("master", sc.master());
        info.put("workers", workers);
        info.put("exchange", spec.exchange());
        info.put("local_steps", k);
        info.put("update_rule", sync ? "mean gradient, one optimizer step on the driver" : "mean weight change of the workers' local steps");
        info.put("rounds", rounds);
        info.put("parameters", n);
        info.put("exchange_bytes", upBytes + downBytes);
        info.put("restarts", restarts);
        info.put("restart_bytes", restartBytes);
        info.put("restarts_residual_lost", residualsLost);
        // rounds in which some worker began from weights other than the driver's
        info.put("rounds_copies_differed", differing);
        info.put("float32_bytes", floatBytes);
        info.put("exchange_ratio", round((double) (upBytes + downBytes) / floatBytes, 5));
        info.put("bytes_per_step", round((double) (upBytes + downBytes) / rounds, 1));
        info.put("float32_bytes_per_step", round((double) floatBytes / rounds, 1));
        info.put("compute_seconds_per_local_step", round(computeNanos / 1e9 / ((double) rounds * k * workers), 5));
        info.put("seconds", round(seconds, 2));
        info.put("images_per_second", round(images / seconds, 1));
        info.put("where", List.copyOf(where));
        return new ScaleOut.Trained(driver.model(), (float) (lossSum / Math.max(1, images)), (long) rounds * k, info);
    }

    /** The worker's residual (what its last message could not carry, plus older leftovers) as one 8-bit message. */
    private static Reply flush(String runId, int i) {
        Worker wk = WORKERS.get(runId + "/" + i);
        if (wk == null) throw new IllegalStateException("worker " + i + " has no state to flush (its executor was lost)");
        float[] r = wk.codec.residual();
        byte[] msg = new UpdateCodec("int8", r.length).encode(r);
        return new Reply(i, msg, 0, 0, 0, SparkContexts.where(), 0, false, 0);
    }

    /** Test hook: "worker/round/where" makes that task's first attempt fail (where: "mid" before it sends, "end" after). */
    static volatile String failOnce;

    private static void maybeFail(int i, long round, String where) {
        String f = failOnce;
        org.apache.spark.TaskContext tc = org.apache.spark.TaskContext.get();
        if (f != null && f.equals(i + "/" + round + "/" + where) && tc != null && tc.attemptNumber() == 0)
            throw new IllegalStateException("injected failure of worker " + i + " in round " + round + " (" + where + ")");
    }

    private static Reply step(String runId, TrainSpec spec, int i, long round, Broadcast<byte[]> update, Broadcast<float[]> weights,
                              float lr) {
        String key = runId + "/" + i;
        Worker wk = WORKERS.get(key);
        long restartBytes = 0;
        boolean residualLost = false;
        if (wk == null || wk.round != round) {
            // first round, or this worker's state is not at the start of this round (new executor, retried task, an
            // attempt that failed while changing it): restart from the driver's state, which is the failure-free run's
            Worker old = wk;
            wk = new Worker(spec, i, weights.value());
            if (round > 0) {
                restartBytes = UpdateCodec.floatBytes(wk.global.length);
                wk.skip(spec, round * spec.localSteps());
                if (old != null && old.residualRound == round) {
                    wk.codec.residual(old.residualAtStart);
                    if (old.optimizerAtStart != null) wk.trainer.optimizer().restore(wk.trainer.steppedParams(), old.optimizerAtStart);
                } else residualLost = true;
            }
            if (!residualLost) wk.keepStart(spec, round);
            WORKERS.put(key, wk);
            if (old != null) old.close();
        } else {
            wk.keepStart(spec, round);
            if (update.value().length > 0 && forwardsMessages(spec)) {
                // decoded into zeros first and then added, as the driver sums the messages: the copies stay bit-identical
                float[] mean = new float[wk.global.length];
                UpdateCodec.addDecoded(update.value(), mean, 1f);
                for (int j = 0; j < mean.length; j++) wk.global[j] += mean[j];
            } else if (update.value().length > 0) {
                UpdateCodec.addDecoded(update.value(), wk.global, 1f);
            }
        }
        wk.round = -1; // changing: a retry of this round must not start from what this attempt leaves
        long t0 = System.nanoTime();
        List<Param> ps = wk.copy.exchanged();
        applyZeros(wk.global, wk.zero);
        int weightsHash = java.util.Arrays.hashCode(wk.global);
        wk.copy.load(wk.global);
        double loss = 0;
        long seen = 0;
        for (int s = 0; s < spec.localSteps(); s++) {
            Batch b = wk.next(spec);
            loss += wk.trainer.step(b, lr)[0] * b.size();
            seen += b.size();
            // pruned weights stay zero after each local step, as in single-process fine-tuning
            for (Param p : ps) {
                boolean[] z = spec.zeros().get(p.name());
                if (z != null) for (int j = 0; j < z.length; j++) if (z[j]) p.value()[j] = 0f;
            }
        }
        float[] delta = flatten(ps);
        for (int j = 0; j < delta.length; j++) delta[j] -= wk.global[j];
        if (synchronous(spec)) {
            // synchronous: what the optimizer steps travels as this step's gradient (valid until the next forward pass)
            for (int j = 0, off = 0; j < ps.size(); off += ps.get(j).size(), j++)
                if (wk.viaGradient[j]) System.arraycopy(ps.get(j).grad(), 0, delta, off, ps.get(j).size());
        }
        maybeFail(i, round, "mid");
        byte[] msg = wk.codec.encode(delta);
        wk.round = round + 1;
        maybeFail(i, round, "end");
        return new Reply(i, msg, loss, seen, System.nanoTime() - t0, SparkContexts.where(), restartBytes, residualLost, weightsHash);
    }

    /**
     * Threshold messages always go down as they came: re-thresholding the mean on the driver with a second residual
     * made the copies lag the workers' intent at K &gt; 1 too (0.0116× and −1.7 pts on a 20k-image epoch, session 10).
     */
    static boolean forwardsMessages(TrainSpec spec) {
        return spec.exchange().equals("threshold");
    }

    /** Threshold exchange of weight changes sends what the workers' residuals still hold once, at the end. */
    static boolean flushes(TrainSpec spec) {
        return forwardsMessages(spec) && !synchronous(spec);
    }

    /** K = 1 with dense (int8, float) exchange: the workers send gradients and the driver takes the one optimizer step. */
    static boolean synchronous(TrainSpec spec) {
        return spec.localSteps() == 1 && !forwardsMessages(spec);
    }

    /** Which exchanged entries the copy's optimizer steps (the rest is state its forward pass or hooks change). */
    static boolean[] stepped(Copy c) {
        java.util.Set<Param> opt = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        opt.addAll(c.trainer().steppedParams());
        boolean[] out = new boolean[c.exchanged().size()];
        for (int j = 0; j < out.length; j++) out[j] = opt.contains(c.exchanged().get(j));
        return out;
    }

    /**
     * The driver's synchronous step: {@code mean} holds the workers' mean gradient for the stepped entries and their
     * mean change for the rest; returns the change of every entry after one optimizer step from {@code w}.
     */
    static float[] optimizerStep(List<Param> params, boolean[] viaGradient, List<Param> stepped, Optimizer optimizer, float[] mean, float[] w, float lr) {
        for (int j = 0, off = 0; j < params.size(); off += params.get(j).size(), j++)
            if (viaGradient[j]) System.arraycopy(mean, off, params.get(j).grad(), 0, params.get(j).size());
        optimizer.step(stepped, lr);
        float[] change = mean.clone();
        for (int j = 0, off = 0; j < params.size(); off += params.get(j).size(), j++)
            if (viaGradient[j]) {
                float[] v = params.get(j).value();
                for (int i = 0; i < v.length; i++) change[off + i] = v[i] - w[off + i];
            }
        return change;
    }

    /** The flattened positions of the entries no optimizer steps (they travel exactly; see {@link UpdateCodec}). */
    static boolean[] exactMask(List<Param> ps, boolean[] stepped) {
        int n = ps.stream().mapToInt(Param::size).sum(), o = 0;
        boolean[] out = new boolean[n];
        for (int j = 0; j < ps.size(); o += ps.get(j).size(), j++) if (!stepped[j]) java.util.Arrays.fill(out, o, o + ps.get(j).size(), true);
        return out;
    }

    /** The pruned positions of the flattened parameter vector (null when nothing is held at zero). */
    static boolean[] zeroMask(List<Param> ps, Map<String, boolean[]> zeros) {
        if (zeros.isEmpty()) return null;
        int n = ps.stream().mapToInt(Param::size).sum(), o = 0;
        boolean[] out = new boolean[n];
        for (Param p : ps) {
            boolean[] z = zeros.get(p.name());
            if (z != null) System.arraycopy(z, 0, out, o, Math.min(z.length, p.size()));
            o += p.size();
        }
        return out;
    }

    /** Lossy exchange may leave a pruned weight a rounding error away from zero; every copy re-zeroes it. */
    static void applyZeros(float[] w, boolean[] zero) {
        if (zero != null) for (int j = 0; j < w.length; j++) if (zero[j]) w[j] = 0f;
    }

    static float[] flatten(List<Param> ps) {
        int n = ps.stream().mapToInt(Param::size).sum();
        float[] out = new float[n];
        int o = 0;
        for (Param p : ps) {
            System.arraycopy(p.value(), 0, out, o, p.size());
            o += p.size();
        }
        return out;
    }

    static void unflatten(float[] flat, List<Param> ps) {
        int o = 0;
        for (Param p : ps) {
            System.arraycopy(flat, o, p.value(), 0, p.size());
            o += p.size();
        }
    }

    static double round(double v, int digits) {
        double s = Math.pow(10, digits);
        return Math.round(v * s) / s;
    }
}
