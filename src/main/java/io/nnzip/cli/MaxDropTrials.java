package io.nnzip.cli;

import io.nnzip.codec.CodecOptions;
import io.nnzip.codec.rd.DatasetProbe;
import io.nnzip.codec.rd.SensitivitySearch;
import io.nnzip.data.Dataset;
import io.nnzip.data.Datasets;
import io.nnzip.data.Normalization;
import io.nnzip.dist.ScaleOut;
import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxReader;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code encode --max-drop} search's trial models measured as jobs on a cluster ({@code --spark}). The model,
 * the coding options and the validation split's description travel once (shared); each process that runs trials
 * reads the validation images from its own data path, sets its probe's reference once, and measures the trials it is
 * given. A trial is named by its per-tensor QPs only, so a retried task measures the same model.
 */
final class MaxDropTrials implements SensitivitySearch.Trials {
    /** What every process needs to measure trials: the model's bytes, the options, where the validation split is. */
    record Setup(String run, byte[] model, String data, String valData, int valImages, float[] mean, float[] std, int threads, CodecOptions options)
            implements Serializable {
        Prepared prepare() {
            Model m = OnnxReader.read(model, null);
            Dataset train = valData == null ? Datasets.load(data, "train") : null;
            DatasetProbe probe = new DatasetProbe(EncodeCommand.validation(valData, train, valImages).data(), new Normalization(mean, std), threads);
            probe.reference(m);
            return new Prepared(m, probe);
        }
    }

    record Prepared(Model model, DatasetProbe probe) {}

    // per process: the prepared setup of the running search (one at a time; a new search replaces it)
    private static final Map<String, Prepared> PREPARED = new ConcurrentHashMap<>();

    private static Prepared prepared(Setup s) {
        Prepared p = PREPARED.get(s.run());
        if (p != null) return p;
        synchronized (PREPARED) {
            p = PREPARED.get(s.run());
            if (p == null) {
                PREPARED.clear();
                p = s.prepare();
                PREPARED.put(s.run(), p);
            }
            return p;
        }
    }

    /** One trial: {@code weight} alone at {@code qp} ({accuracy, KL}), or the whole model at {@code qps} ({credited accuracy}). */
    record Trial(ScaleOut.Shared<Setup> setup, String weight, int qp, LinkedHashMap<String, Integer> qps) implements ScaleOut.Job<double[]> {
        @Override
        public double[] run() {
            Prepared p = prepared(setup.get());
            CodecOptions o = setup.get().options();
            if (weight != null) return p.probe().measure(SensitivitySearch.singleTrial(p.model(), weight, qp, o));
            return new double[] {SensitivitySearch.credited(p.probe(), SensitivitySearch.trial(p.model(), qps, o, null))};
        }
    }

    private final ScaleOut.Cluster cluster;
    private final ScaleOut.Shared<Setup> setup;
    private final List<Map<String, Object>> log = new ArrayList<>();
    private int rounds;

    MaxDropTrials(ScaleOut.Cluster cluster, Setup setup) {
        this.cluster = cluster;
        this.setup = cluster.share(setup);
    }

    @Override
    public int width() { return cluster.slots(); }

    @Override
    public List<double[]> single(List<String> weights, int qp) {
        List<Trial> jobs = new ArrayList<>();
        for (String w : weights) jobs.add(new Trial(setup, w, qp, null));
        List<ScaleOut.Done<double[]>> done = run(jobs);
        List<double[]> out = new ArrayList<>();
        for (int i = 0; i < done.size(); i++) {
            out.add(done.get(i).value());
            record("sensitivity " + weights.get(i) + " at QP " + qp, done.get(i));
        }
        return out;
    }

    @Override
    public double[] accuracies(List<Map<String, Integer>> allocations) {
        List<Trial> jobs = new ArrayList<>();
        for (Map<String, Integer> a : allocations) jobs.add(new Trial(setup, null, 0, new LinkedHashMap<>(a)));
        List<ScaleOut.Done<double[]>> done = run(jobs);
        double[] out = new double[done.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = done.get(i).value()[0];
            record(allocations.get(i).toString(), done.get(i));
        }
        return out;
    }

    private List<ScaleOut.Done<double[]>> run(List<Trial> jobs) {
        rounds++;
        return cluster.runAll(jobs);
    }

    private void record(String what, ScaleOut.Done<double[]> d) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("trial", what);
        row.put("accuracy", d.value()[0]);
        row.put("round", rounds);
        row.put("where", d.where());
        log.add(row);
    }

    /** What the JSON report shows: the master, slots, rounds of jobs, every trial run and where. */
    Map<String, Object> report() {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("master", cluster.master());
        r.put("slots", cluster.slots());
        r.put("rounds", rounds);
        r.put("trials_run", log.size());
        r.put("trials", log);
        return r;
    }
}
