package io.nnzip.cli;

import io.nnzip.codec.bench.CodecBenchmark;
import io.nnzip.codec.bench.SyntheticCnn;
import io.nnzip.ir.Model;
import io.nnzip.engine.ModelValidator;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "bench-codec", mixinStandardHelpOptions = true,
        description = "Benchmark the .nnz codec against zstd -19 and xz -9 on a model's float32 tensors.")
public final class BenchCodecCommand extends BaseCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", description = "ONNX model (default: a synthetic 3.4M-parameter CNN).")
    Path model;

    @Option(names = "--reps", defaultValue = "3", description = "Repetitions; the best time counts (default ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--threads", paramLabel = "N", description = "Threads for the multi-threaded encode figure (default: all cores).")
    int threads = OptionRules.CORES;

    @Override
    protected Map<String, Object> execute() {
        Model m = model == null ? SyntheticCnn.build(7, 64, 128, 512) : ModelValidator.read(model);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", model == null ? "synthetic-cnn(64,128,512)" : model.toString());
        r.putAll(CodecBenchmark.run(m, reps, threads));
        return r;
    }

    @Override
    @SuppressWarnings("unchecked")
    protected void printHuman(Map<String, Object> r, PrintStream out) {
        out.printf("%s: float32 %s bytes, zstd -19 %s, xz -9 %s%n", r.get("model"), r.get("float32_bytes"), r.get("zstd19_bytes"), r.get("xz9_bytes"));
        ((Map<String, Map<String, Object>>) r.get("modes")).forEach((k, v) -> out.printf("  %-16s %10s bytes (%.2f%%)  enc %.0f MB/s  dec %.0f MB/s  level bits/H0 %s%n", k, v.get("bytes"),
                (Double) v.get("percent_of_float32"), (Double) v.get("encode_mb_s_1thread"), (Double) v.get("decode_mb_s_1thread"), v.get("level_bits_over_entropy")));
    }
}
