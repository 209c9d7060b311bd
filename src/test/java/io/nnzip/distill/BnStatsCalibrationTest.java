package io.nnzip.distill;

import static org.junit.jupiter.api.Assertions.*;

import io.nnzip.data.Dataset;
import io.nnzip.data.Datasets;
import io.nnzip.data.ModelInputs;
import io.nnzip.data.Normalization;
import io.nnzip.ir.Model;
import io.nnzip.ir.Node;
import io.nnzip.ir.Tensor;
import io.nnzip.quant.calib.ActivationRecorder;
import io.nnzip.quant.calib.Calibrator;
import io.nnzip.quant.calib.TensorStats;
import io.nnzip.train.TrainListener;
import io.nnzip.train.Trainer;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Calibration without data ({@code --calib-data bn-stats}): the activation ranges ONNX Runtime records on images a
 * generator made to match the model's BatchNormalization statistics are close to those recorded on real test images,
 * and closer than those of standard-normal noise with the same first two input moments.
 */
class BnStatsCalibrationTest {
    @Test
    void rangesCloseToRealDataCalibration() {
        Normalization norm = Normalization.parse("0.2860,0.3530");
        Dataset train = Datasets.load("fashion-mnist", "train").head(512), test = Datasets.load("fashion-mnist", "test").head(256);
        Model m;
        try (Trainer t = new Trainer(io.nnzip.models.Models.cnn(0.25f, 10, 1), new Trainer.Options().epochs(1).batchSize(64).lr(3e-3f).seed(1).threads(1))) {
            t.fit(train, null, norm, new TrainListener() {});
            m = t.model().copy();
        }
        Dataset bn = DataFree.bnStatsImages(m, norm, 256, 1, 1, 1);
        assertEquals(256, bn.size());
        SplittableRandom r = new SplittableRandom(3);
        float[] noise = new float[bn.pixels().length];
        for (int i = 0; i < noise.length; i++) noise[i] = (float) (0.2860 + 0.3530 * r.nextGaussian());
        Dataset gauss = new Dataset("noise", noise, new int[bn.size()], 1, 28, 28, 10);
        List<String> relus = m.graph().nodes().stream().filter(n -> n.opType().equals("Relu")).map(n -> n.output(0)).toList();
        float[] real = maxima(m, relus, test, norm), syn = maxima(m, relus, bn, norm), rnd = maxima(m, relus, gauss, norm);
        double errSyn = 0, errRnd = 0;
        for (int i = 0; i < relus.size(); i++) {
            double es = Math.abs(syn[i] - real[i]) / real[i], er = Math.abs(rnd[i] - real[i]) / real[i];
            System.out.printf("%s: real %.3f, bn-stats %.3f (%.0f%%), noise %.3f (%.0f%%)%n", relus.get(i), real[i], syn[i], 100 * es, rnd[i], 100 * er);
            assertTrue(es < 0.5, relus.get(i) + ": bn-stats range " + syn[i] + " vs real " + real[i]);
            errSyn += es;
            errRnd += er;
        }
        assertTrue(errSyn < errRnd, "bn-stats images calibrate closer to real data than noise: " + errSyn + " vs " + errRnd);
    }

    /** The 99.99th-percentile |x| range end of each value over the dataset, as int8 calibration would take it. */
    static float[] maxima(Model m, List<String> values, Dataset d, Normalization norm) {
        Tensor x = ModelInputs.images(d, norm, m);
        Map<String, TensorStats> st = ActivationRecorder.stats(m, values, List.of(x), true, 1);
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) out[i] = Calibrator.parse("percentile:99.99").range(st.get(values.get(i)))[1];
        return out;
    }
}
