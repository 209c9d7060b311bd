package io.nnzip.codec;

import io.nnzip.codec.bits.ByteSource;
import io.nnzip.codec.dom.MemberUnit;
import io.nnzip.codec.dom.RootChooser;
import io.nnzip.codec.format.NnzFormat;
import io.nnzip.codec.format.NnzReader;
import io.nnzip.codec.syntax.SyntaxReader;
import io.nnzip.ir.DType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Describes a .nnz stream: header and provenance, every unit with its offset and size, and per tensor the method,
 * shape, coded size, bits per element and, for level-coded tensors, the empirical order-0 entropy H0 of the levels
 * next to their actual code length. The summary's {@code level_bits_over_entropy} = Σ coded bits / Σ n·H0 over
 * those tensors with at least 256 elements: how close the adaptive coder gets to the order-0 bound (below 1 means context modelling won).
 * Differences (dom-uniform) need their base to decode levels, so their entropy is not reported.
 */
public final class NnzInspector {
    private NnzInspector() {}

    public static Map<String, Object> inspect(byte[] data, String name) {
        NnzReader r = new NnzReader(data, name);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("file", name);
        out.put("bytes", data.length);
        out.put("format_version", r.version());
        out.put("kind", NnzFormat.kindName(r.header().kind));
        out.put("tool_version", r.header().toolVersion);
        out.put("recipe", r.header().recipe);
        if (r.header().baseHash.length > 0) out.put("base_hash", ModelHash.hex(r.header().baseHash));
        List<Map<String, Object>> units = new ArrayList<>();
        double codedBits = 0, entropyBits = 0;
        long elements = 0, floatElements = 0, tensorBytes = 0;
        NnzReader.Unit u;
        while ((u = r.next()) != null) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("unit", NnzFormat.unitName(u.type()));
            e.put("offset", u.offset());
            e.put("bytes", u.payload().length);
            try {
                SyntaxReader sr = new SyntaxReader(new ByteSource(u.payload(), u.describe()));
                switch (u.type()) {
                    case NnzFormat.MEMBER -> {
                        MemberUnit m = new MemberUnit();
                        m.syntax(sr);
                        e.put("name", m.name);
                        e.put("role", m.role == MemberUnit.ROOT ? "root" : "difference-to-root");
                    }
                    case NnzFormat.TOPOLOGY -> {
                        TopologyUnit t = new TopologyUnit();
                        t.formatVersion = r.version();
                        t.syntax(sr);
                        e.put("mode", t.mode == 1 ? "same-as-base" : "full");
                        if (t.mode == 0) {
                            e.put("graph_bytes", t.protoLength);
                            e.put("tensors", t.directory.size());
                        }
                    }
                    case NnzFormat.TENSOR -> {
                        TensorUnit t = new TensorUnit();
                        t.formatVersion = r.version();
                        t.syntax(sr);
                        long n = TensorCodec.checkedNumel(t);
                        e.put("name", t.name);
                        e.put("method", TensorUnit.methodName(t.method));
                        e.put("dtype", DType.fromOnnx(t.dtype).lower());
                        e.put("shape", t.dims);
                        e.put("elements", n);
                        e.put("bits_per_element", n == 0 ? 0 : u.payload().length * 8.0 / n);
                        elements += n;
                        if (t.dtype == DType.FLOAT.onnx) floatElements += n;
                        tensorBytes += u.payload().length;
                        if (t.method == TensorUnit.UNIFORM || t.method == TensorUnit.DOM_UNIFORM) {
                            e.put("steps", t.steps.length);
                            e.put("step", t.steps.length == 1 ? t.steps[0] : null);
                            e.put("rounding", t.rounding);
                            e.put("quantizer", t.dependent ? "dependent" : "scalar");
                        }
                        if (TensorCodec.isLevelCoded(t.method)) {
                            if (t.method == TensorUnit.INT_SYMBOLS) {
                                e.put("binarization", "symbols");
                                e.put("symbols", t.symbols.length);
                            } else if (t.legacyLevels()) {
                                e.put("max_gt", t.maxGt);
                                e.put("eg_order", t.egk);
                            } else {
                                if (t.formatVersion >= 3) e.put("binarization", t.scheme == TensorUnit.SCHEME_ZIGZAG ? "zigzag-rice" : t.scheme == TensorUnit.SCHEME_RICE_COLUMNS ? "rice-columns" : "rice");
                                e.put("rice_k", t.riceK);
                            }
                            if (t.slices.length > 1) e.put("slices", t.slices.length);
                            if (t.rowFlags != null) {
                                e.put("rows_kept", t.keptRows);
                                e.put("row_flag_bytes", t.rowFlags.length);
                            }
                            e.put("coded_bits_per_level", n == 0 ? 0 : t.codedBytes() * 8.0 / n);
                            if (t.method != TensorUnit.DOM_UNIFORM && n > 0) {
                                double h = RootChooser.entropy(TensorCodec.levels(t, null));
                                e.put("level_entropy_bits", h);
                                // Tiny tensors (shapes, biases) say nothing about the coder and would swamp the ratio.
                                if (n >= CodecOptions.MIN_QUANTIZED) {
                                    codedBits += t.codedBytes() * 8.0;
                                    entropyBits += h * n;
                                }
                            }
                        }
                    }
                    default -> e.put("note", "unknown unit type, skipped");
                }
            } catch (RuntimeException ex) {
                throw r.undecodable(u, ex);
            }
            units.add(e);
        }
        Map<String, Object> sum = new LinkedHashMap<>();
        sum.put("units", units.size());
        sum.put("tensor_elements", elements);
        sum.put("tensor_bytes", tensorBytes);
        sum.put("float32_bytes", floatElements * 4);
        sum.put("bits_per_element", elements == 0 ? 0 : tensorBytes * 8.0 / elements);
        sum.put("level_bits_over_entropy", entropyBits > 0 ? codedBits / entropyBits : null);
        out.put("summary", sum);
        out.put("units", units);
        out.put("checksum", "ok");
        return out;
    }
}
