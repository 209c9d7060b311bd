package io.nnzip.cli;

import io.nnzip.codec.dom.Patcher;
import io.nnzip.ir.Model;
import io.nnzip.engine.ModelValidator;
import io.nnzip.onnx.OnnxWriter;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "patch", mixinStandardHelpOptions = true, description = "Apply an update made by 'nnzip diff' to its base.")
public final class PatchCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "BASE")
    Path base;

    @Parameters(index = "1", paramLabel = "UPDATE")
    Path update;

    @Option(names = {"-o", "--output"}, required = true)
    Path output;

    @Option(names = "--threads", paramLabel = "N", description = "Threads for re-coding the base if needed (default: all cores).")
    int threads = OptionRules.CORES;

    @Override
    protected Map<String, Object> execute() throws Exception {
        Model m = Patcher.patch(ModelValidator.read(base), DecodeCommand.readAll(update), update.toString(), threads);
        OnnxWriter.write(m, output);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("base", base.toString());
        r.put("update", update.toString());
        r.put("output", output.toString());
        return r;
    }

    @Override
    protected void printHuman(Map<String, Object> r, PrintStream out) { out.printf("patched %s with %s -> %s%n", r.get("base"), r.get("update"), r.get("output")); }
}
