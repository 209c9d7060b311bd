package io.nnzip.quant;

import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Tensor;
import io.nnzip.quant.prep.BatchNormFolder;
import io.nnzip.quant.qat.QatStage;
import io.nnzip.quant.report.LayerReport;
import io.nnzip.quant.weight.EncodedWeight;
import io.nnzip.quant.weight.GroupedInts;
import io.nnzip.quant.weight.GroupedLinearQuantizer;
import io.nnzip.quant.weight.MatMulNBits;
import io.nnzip.quant.weight.InqQuantizer;
import io.nnzip.quant.weight.KMeansQuantizer;
import io.nnzip.quant.weight.OpsetUpgrade;
import io.nnzip.quant.weight.SignScaleQuantizer;
import io.nnzip.quant.weight.WeightOnlyQuantizer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * The weight-only schemes (grouped int4/int2, k-means sharing, binary, ternary, INQ) behind one entry point:
 * pick the storage container ONNX Runtime runs, encode every weight layer, record the recipe.
 */
public final class WeightSchemes {
    /** The quantized model, the float model it approximates (BN folded, and trained when QAT ran), the rows. */
    public record Applied(Model model, Model reference, List<LayerReport.Row> rows, Map<String, Object> notes) {}

    private WeightSchemes() {}

    public static Applied apply(Model floatModel, Scheme s, QuantConfig cfg, io.nnzip.data.DataSplits data, io.nnzip.data.Normalization norm,
                                List<Tensor> calib, Consumer<String> log) {
        boolean asFloat = cfg.container.equals("float");
        boolean grouped = s.kind() == Scheme.Kind.GROUPED;
        // MatMulNBits: ORT's own 4-bit MatMul, on any opset; the default for transformers' linear layers
        boolean nbits = grouped && MatMulNBits.validBlock(cfg.groupSize) && switch (cfg.container) {
            case "nbits" -> true;
            case "auto" -> io.nnzip.quant.qdq.LinearPlacement.isTransformer(floatModel.graph()) || !OpsetUpgrade.canUpgrade(floatModel);
            default -> false;
        };
        if (cfg.container.equals("nbits") && !nbits) throw new NnzipException("--container nbits needs --scheme int4/int2 and a --group-size that is a power of two ≥ 16");
        if ((cfg.gptq || cfg.awq) && !grouped) throw new NnzipException("--gptq / --awq work with --scheme int4 or int2");
        boolean int4 = switch (cfg.container) {
            // codebook indices (k-means, INQ) and binary/ternary codes in int8 containers are decoded by Cast → Gather /
            // Mul, which ORT folds at load (float speed); int4 needs a DequantizeLinear that ORT evaluates on every run
            // (2.6-3x the float latency on the CNN). Grouped int4/int2 keep int4: 4-bit storage is their point.
            case "auto" -> s.kind() == Scheme.Kind.GROUPED && OpsetUpgrade.canUpgrade(floatModel);
            case "float" -> false;
            case "int4" -> {
                if (!OpsetUpgrade.canUpgrade(floatModel)) throw new NnzipException("--container int4 needs opset 21; this model (opset " + floatModel.opset() + ") has ops nnzip does not upgrade");
                yield true;
            }
            case "int8", "nbits" -> false;
            default -> throw new NnzipException("--container must be auto, nbits, int4, int8 or float, not '" + cfg.container + "'");
        };
        if (s.kind() == Scheme.Kind.GROUPED && (cfg.groupSize < 2 || cfg.groupSize > 4096)) throw new NnzipException("--group-size must be in [2, 4096]");
        if (s.kind() == Scheme.Kind.INT8 || s.kind() == Scheme.Kind.DYNAMIC_INT8) throw new NnzipException("int8 --weight-only is not offered: use --scheme int8 (static QDQ) or int4");
        if (!cfg.tables.equals("int8") && !cfg.tables.equals("float")) throw new NnzipException("--tables must be int8 or float, not '" + cfg.tables + "'");
        Model base = floatModel.copy();
        int folded = BatchNormFolder.fold(base.graph());
        GroupedLinearQuantizer glq = new GroupedLinearQuantizer(s.bits(), cfg.groupSize, int4);
        Map<String, Object> notes = new LinkedHashMap<>();
        Map<String, GroupedInts> gptq = Map.of();
        if (cfg.gptq || cfg.awq) {
            GroupedCalibration.Result r = GroupedCalibration.run(base, cfg, calib,
                    n -> nbits && MatMulNBits.fits(base.graph(), n) ? cfg.groupSize : glq.group(inputs(base, n)), s.bits(), log);
            gptq = r.ints();
            notes.putAll(r.notes());
        }
        Map<String, GroupedInts> given = gptq;
        Map<Tensor, String> names = new java.util.IdentityHashMap<>();
        BiFunction<Tensor, Integer, EncodedWeight> enc0 = switch (s.kind()) {
            case GROUPED -> (w, axis) -> given.containsKey(names.get(w)) ? glq.encode(w, axis, given.get(names.get(w))) : glq.encode(w, axis);
            case KMEANS -> (w, axis) -> new KMeansQuantizer(s.bits(), 50).encode(w, int4);
            case BINARY -> new SignScaleQuantizer(false, int4)::encode;
            case TERNARY -> new SignScaleQuantizer(true, int4)::encode;
            case INQ -> (w, axis) -> {
                // without re-training every step of the schedule fixes weights directly; the last fixes all
                InqQuantizer q = new InqQuantizer(s.bits());
                float[] v = w.toFloats().clone();
                boolean[] fixed = new boolean[v.length];
                int[] bounds = q.exponents(v);
                for (double share : InqQuantizer.SCHEDULE) q.fix(v, fixed, share, bounds);
                return q.encode(w, v, int4);
            };
            case BF16 -> io.nnzip.quant.weight.SixteenBitQuantizer::bf16;
            case FIXED16 -> io.nnzip.quant.weight.SixteenBitQuantizer::fixed16;
            case INT8, FP16, DYNAMIC_INT8, BITSPLIT, STT, ONEHOT -> throw new IllegalStateException();
        };
        BiFunction<Tensor, Integer, EncodedWeight> enc = enc0;
        notes.put("batchnorm_folded", folded);
        if (cfg.qat > 0 || cfg.finetune > 0) {
            QatStage.Result q = QatStage.run(base, s, cfg, enc, data.requireTrain("--qat / --finetune"), norm, log);
            notes.put("training", q.log());
            if (s.kind() == Scheme.Kind.KMEANS) {
                Map<String, KMeansQuantizer.Clusters> books = q.codebooks();
                Map<Tensor, String> byTensor = new java.util.IdentityHashMap<>();
                base.graph().initializers().forEach((k, v) -> byTensor.put(v, k));
                enc = (w, axis) -> {
                    KMeansQuantizer.Clusters c = books.get(byTensor.get(w));
                    return c == null ? new KMeansQuantizer(s.bits(), 50).encode(w, int4)
                            : io.nnzip.quant.weight.Codebook.encode(w, c.centroids(), c.index(), s.bits(), int4);
                };
            }
        }
        Model out = base.copy();
        boolean sixteen = s.kind() == Scheme.Kind.BF16 || s.kind() == Scheme.Kind.FIXED16;
        // Cast from bfloat16 exists from opset 13 on
        if (s.kind() == Scheme.Kind.BF16 && !asFloat && out.opset() < 13) {
            if (!OpsetUpgrade.canUpgrade(out)) throw new NnzipException("--scheme bf16 needs opset 13; this model (opset " + out.opset() + ") has ops nnzip does not upgrade");
            OpsetUpgrade.to21(out);
        }
        if (int4) OpsetUpgrade.to21(out);
        BiFunction<Tensor, Integer, EncodedWeight> stored = enc;
        out.graph().initializers().forEach((k, v) -> names.put(v, k));
        List<WeightOnlyQuantizer.Layer> layers = new java.util.ArrayList<>(nbits ? MatMulNBits.applyAll(out, cfg.exclude, cfg.groupSize, s.bits(), given) : List.of());
        int nbitsLayers = layers.size();
        layers.addAll(WeightOnlyQuantizer.apply(out, cfg.exclude, asFloat ? (w, axis) -> stored.apply(w, axis).asFloat(w.shape()) : enc));
        if (layers.isEmpty()) throw new NnzipException("no Conv/Gemm/MatMul weight initializers to quantize");
        if (grouped && !asFloat && cfg.tables.equals("int8")) {
            List<io.nnzip.quant.weight.TableQuantizer.Table> tables = io.nnzip.quant.weight.TableQuantizer.apply(out);
            if (!tables.isEmpty()) notes.put("int8_tables", tables.stream().map(io.nnzip.quant.weight.TableQuantizer.Table::name).toList());
        }
        String used = asFloat ? "float" : int4 ? "int4" : sixteen ? layers.get(0).encoded().storage() : "int8";
        String rest = asFloat ? "float (decoded values)" : int4 ? "int4 (opset 21)" : used + " (opset " + out.opset() + ")";
        if (nbitsLayers > 0) used = "nbits+" + used;
        notes.put("container", nbitsLayers == 0 ? rest : "MatMulNBits (com.microsoft) for " + nbitsLayers + " MatMul/Gemm layers"
                + (layers.size() > nbitsLayers ? ", " + rest + " for the other " + (layers.size() - nbitsLayers) + " layers" : ""));
        notes.put("quantized_layers", layers.size());
        cfg.record(out, Map.of("container_used", used));
        log.accept("encoded " + layers.size() + " weight layers (" + notes.get("container") + ")");
        return new Applied(out, base, QuantizePipeline.weightRows(layers), notes);
    }

    /** How many inputs one output of a weight layer reads (the axis groups run along). */
    private static int inputs(Model m, io.nnzip.ir.Node n) {
        Tensor w = m.graph().initializer(n.input(1));
        return n.opType().equals("Gemm") && n.attrInt("transB", 0) != 0 ? w.dim(1) : w.dim(0);
    }
}
