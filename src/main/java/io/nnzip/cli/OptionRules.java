package io.nnzip.cli;

import io.nnzip.codec.CodecOptions;
import io.nnzip.util.AtomicFiles;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/**
 * The one place where option values are checked, before any command runs: each numeric option name has one range
 * (the same in every command, as {@code docs/CLI.md} lists it), thread counts are bounded by the machine, and output
 * files must have an existing, writable folder. Checking here rather than in each command means a bad value answers
 * at once — {@code --threads 100000} used to start 100000 threads before anything said no.
 */
final class OptionRules {
    private OptionRules() {}

    static final int CORES = Runtime.getRuntime().availableProcessors();
    /** More threads than this only adds contention; a larger number is a typo, not a wish. */
    static final int MAX_THREADS = CORES * 4;
    static final int MAX_EPOCHS = 100_000;
    static final int MAX_BATCH = 65_536;

    /** Inclusive bounds; {@code text} is how docs/CLI.md states it. */
    record Range(double min, double max, boolean minOpen, String text) {
        static Range closed(double min, double max, String text) { return new Range(min, max, false, text); }
        static Range above(double min, double max, String text) { return new Range(min, max, true, text); }

        boolean holds(double v) { return (minOpen ? v > min : v >= min) && v <= max; }
    }

    private static final double BIG = Double.MAX_VALUE, LONG = Long.MAX_VALUE;
    private static final Range COUNT = Range.closed(0, Integer.MAX_VALUE, "0..2^31-1"),
            POSITIVE = Range.closed(1, Integer.MAX_VALUE, "1..2^31-1"),
            EPOCHS = Range.closed(0, MAX_EPOCHS, "0..100000"),
            BATCH = Range.closed(1, MAX_BATCH, "1..65536"),
            ITERATIONS = Range.closed(1, 1_000_000, "1..1000000"),
            FRACTION_OPEN = Range.above(0, 1, "(0, 1]"),
            SHARE = Range.closed(0, 1, "[0, 1]"),
            NON_NEGATIVE = Range.closed(0, BIG, ">= 0"),
            RATE = Range.above(0, 10, "(0, 10]");

    /** Every numeric option name and its range; a numeric option missing here fails CliVocabularyTest. */
    static final Map<String, Range> RANGES = Map.ofEntries(
            Map.entry("--threads", Range.closed(0, MAX_THREADS, "0 (all cores) or 1..4×cores")),
            Map.entry("--limit", COUNT), Map.entry("--train-samples", COUNT), Map.entry("--train-limit", COUNT),
            Map.entry("--eval-size", POSITIVE), Map.entry("--calib-images", COUNT), Map.entry("--refine-steps", COUNT),
            Map.entry("--val-images", POSITIVE), Map.entry("--max-positions", POSITIVE),
            Map.entry("--min-input-channels", COUNT),
            Map.entry("--epochs", EPOCHS), Map.entry("--finetune", EPOCHS), Map.entry("--qat", EPOCHS),
            Map.entry("--head-epochs", EPOCHS), Map.entry("--joint-epochs", EPOCHS), Map.entry("--step-epochs", EPOCHS),
            Map.entry("--warmup", Range.closed(0, MAX_EPOCHS, "0..100000")),
            Map.entry("--batch", BATCH), Map.entry("--calib-batch-size", BATCH), Map.entry("--latency-batch", Range.closed(0, MAX_BATCH, "0 (skip) or 1..65536")),
            Map.entry("--calib-batches", ITERATIONS), Map.entry("--latency-runs", ITERATIONS), Map.entry("--reps", ITERATIONS),
            Map.entry("--iters", ITERATIONS), Map.entry("--hooi-sweeps", Range.closed(0, 1_000_000, "0..1000000")),
            Map.entry("--cp-iterations", ITERATIONS), Map.entry("--tt-cores", Range.closed(2, 8, "2..8")),
            Map.entry("--blocks", Range.closed(1, 1024, "1..1024")), Map.entry("--als-iterations", Range.closed(0, 1_000_000, "0..1000000")),
            Map.entry("--sizes", Range.closed(1, 8192, "1..8192")), Map.entry("--rank", POSITIVE),
            Map.entry("--group-size", Range.closed(1, 1 << 20, "1..1048576")), Map.entry("--head-grid", Range.closed(1, 64, "1..64")),
            Map.entry("--round-to", Range.closed(1, 4096, "1..4096")), Map.entry("--round-ms", Range.closed(0, 60_000, "[0, 60000]")),
            Map.entry("--gptq-damp", Range.closed(0, 10, "[0, 10]")), Map.entry("--awq-grid", Range.closed(1, 1000, "1..1000")),
            Map.entry("--smoothquant", SHARE),
            Map.entry("--seed", Range.closed(-LONG, LONG, "any integer")),
            Map.entry("--workers", Range.closed(1, 4096, "1..4096")), Map.entry("--local-steps", ITERATIONS),
            Map.entry("--qp", Range.closed(CodecOptions.QP_MIN, CodecOptions.QP_MAX, CodecOptions.QP_MIN + ".." + CodecOptions.QP_MAX)),
            Map.entry("--float-mantissa", Range.closed(3, 23, "3..23")),
            Map.entry("--bits", Range.above(0, 32, "(0, 32]")), Map.entry("--rounding", Range.closed(0, 0.5, "[0, 0.5]")),
            Map.entry("--max-drop", Range.closed(0, 100, "0..100 points")), Map.entry("--max-bytes", Range.closed(1, LONG, "1..2^63-1")),
            Map.entry("--lr", RATE), Map.entry("--head-lr", RATE),
            Map.entry("--momentum", Range.closed(0, 0.999999, "[0, 1)")), Map.entry("--weight-decay", NON_NEGATIVE),
            Map.entry("--gamma", FRACTION_OPEN), Map.entry("--clip-norm", NON_NEGATIVE), Map.entry("--rate-penalty", NON_NEGATIVE),
            Map.entry("--label-smoothing", Range.closed(0, 0.999999, "[0, 1)")), Map.entry("--val-split", Range.closed(0, 0.999999, "[0, 1)")),
            Map.entry("--amount", Range.closed(0, 0.999999, "[0, 1)")), Map.entry("--amounts", Range.above(0, 0.999999, "(0, 1)")),
            Map.entry("--energy", FRACTION_OPEN), Map.entry("--target-macs", FRACTION_OPEN),
            Map.entry("--target-latency", Range.closed(0, 1, "0 (none) or (0, 1]")), Map.entry("--target-latency-ms", NON_NEGATIVE),
            Map.entry("--latency-samples", Range.closed(0, 100_000, "0..100000")),
            Map.entry("--threshold", SHARE), Map.entry("--early-exit", SHARE), Map.entry("--alpha", SHARE),
            Map.entry("--temperature", Range.above(0, 1000, "(0, 1000]")), Map.entry("--width", Range.above(0, 64, "(0, 64]")),
            Map.entry("--hint-weight", NON_NEGATIVE), Map.entry("--head-l2", NON_NEGATIVE), Map.entry("--exit-weights", NON_NEGATIVE),
            Map.entry("--generator-epochs", POSITIVE), Map.entry("--synthetic-images", POSITIVE),
            Map.entry("--bn-weight", NON_NEGATIVE), Map.entry("--disc-weight", NON_NEGATIVE),
            Map.entry("--disagreement-weight", NON_NEGATIVE), Map.entry("--student-steps", POSITIVE), Map.entry("--generator-lr", NON_NEGATIVE), Map.entry("--adder-eta", NON_NEGATIVE),
            Map.entry("--shuffle-groups", Range.closed(0, 1024, "0..1024")), Map.entry("--block-width", Range.above(0, 16, "(0, 16]")),
            Map.entry("--squeeze-ratio", Range.above(0, 16, "(0, 16]")), Map.entry("--expand3-share", Range.above(0, 0.999999, "(0, 1)")),
            Map.entry("--branch-channels", Range.closed(1, 4096, "1..4096")), Map.entry("--fit-steps", Range.closed(0, 1_000_000, "0..1000000")),
            Map.entry("--finetune-budget", NON_NEGATIVE),
            Map.entry("--balance", Range.above(0, 1e6, "(0, 1e6]")), Map.entry("--port", Range.closed(0, 65535, "0..65535")),
            Map.entry("--max-upload", Range.closed(1, Long.MAX_VALUE, "1..2^63-1")), Map.entry("--samples", Range.closed(0, Long.MAX_VALUE, "0..2^63-1")),
            Map.entry("--top-k", FRACTION_OPEN),
            Map.entry("--population", Range.closed(2, 1_000_000, "2..1000000")), Map.entry("--generations", Range.closed(0, 1_000_000, "0..1000000")),
            Map.entry("--mutation", SHARE), Map.entry("--crossover", SHARE), Map.entry("--elitism", COUNT), Map.entry("--holdout", POSITIVE),
            Map.entry("--fitness-images", COUNT), Map.entry("--fitness-epochs", Range.closed(0, 1000, "0..1000")), Map.entry("--min-keep", FRACTION_OPEN),
            Map.entry("--final-top", Range.closed(0, 1_000_000, "0..1000000")), Map.entry("--final-epochs", Range.closed(0, 1000, "0..1000")),
            Map.entry("--final-seeds", Range.closed(1, 100, "1..100")), Map.entry("--novelty-tries", Range.closed(0, 1000, "0..1000")));

    /** Options naming a file the command writes: their folder is checked before the work starts, not after it. */
    static final List<String> OUTPUT_FILES = List.of("--output", "--nnz", "--report", "--plot", "--plan");

    /** Options naming a dataset the command reads only later (after other work): checked to exist before it starts. */
    static final List<String> DATASETS = List.of("--val-data");

    /** Checks the options the user gave to the command that will run; throws a one-line ParameterException. */
    static void check(CommandLine.ParseResult top) {
        CommandLine.ParseResult pr = top;
        while (pr.hasSubcommand()) pr = pr.subcommand();
        CommandLine cl = pr.commandSpec().commandLine();
        Deprecations.warn(pr);
        for (OptionSpec o : pr.matchedOptions()) {
            String name = primary(o);
            Range r = RANGES.get(name);
            if (r != null) {
                for (double v : values(o.getValue()))
                    if (!r.holds(v)) throw new ParameterException(cl, name + " " + format(v) + " is out of range (allowed: " + r.text() + ")");
                if (name.equals("--threads")) allCoresForZero(o);
            }
            if (DATASETS.contains(name) && o.getValue() instanceof String d && !knownDataset(d) && !java.nio.file.Files.exists(Path.of(d)))
                throw new ParameterException(cl, name + " " + d + ": not found (give fashion-mnist, mnist, an .npz file or an image folder)");
            if (OUTPUT_FILES.contains(name) && o.getValue() instanceof Path p) {
                try {
                    AtomicFiles.requireFolder(p);
                } catch (io.nnzip.ir.NnzipException e) {
                    throw new ParameterException(cl, name + ": " + e.getMessage());
                }
            }
        }
    }

    private static boolean knownDataset(String d) {
        String k = d.toLowerCase().replace('_', '-');
        return k.equals("fashion-mnist") || k.equals("mnist");
    }

    /** The option's own (first long) name; later names are deprecated aliases (see {@link Deprecations}). */
    static String primary(OptionSpec o) {
        for (String n : o.names()) if (n.startsWith("--")) return n;
        return o.names()[0];
    }

    /** "0 = all cores" everywhere, so no command has to know it. */
    private static void allCoresForZero(OptionSpec o) {
        Object v = o.getValue();
        if (v instanceof Integer i && i == 0) o.setValue(CORES);
        else if (v instanceof int[] a) for (int i = 0; i < a.length; i++) if (a[i] == 0) a[i] = CORES;
    }

    /** The numbers an option's value holds (one, an array or a list); nothing for non-numeric values. */
    static double[] values(Object v) {
        if (v instanceof Number n) return new double[] {n.doubleValue()};
        if (v instanceof int[] a) return java.util.Arrays.stream(a).asDoubleStream().toArray();
        if (v instanceof double[] a) return a;
        if (v instanceof Collection<?> c) return c.stream().filter(Number.class::isInstance).mapToDouble(x -> ((Number) x).doubleValue()).toArray();
        return new double[0];
    }

    private static String format(double v) { return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v); }
}
