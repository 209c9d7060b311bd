package io.nnzip.cli;

import io.nnzip.codec.ModelHash;
import io.nnzip.codec.TensorReport;
import io.nnzip.codec.dom.DiffEncoder;
import io.nnzip.ir.Model;
import io.nnzip.engine.ModelValidator;
import io.nnzip.util.AtomicFiles;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "diff", mixinStandardHelpOptions = true,
        description = "Code a new model as an update to a base the receiver already has (difference of models).")
public final class DiffCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "BASE")
    Path base;

    @Parameters(index = "1", paramLabel = "NEW")
    Path next;

    @Option(names = {"-o", "--output"}, required = true)
    Path output;

    @Mixin
    CodecModeOptions mode;

    @Option(names = "--as-received", description = "BASE already is the receiver's copy (a decode or patch result); do not re-code it.")
    boolean asReceived;

    @Override
    protected Map<String, Object> execute() throws Exception {
        Model b = ModelValidator.read(base), n = ModelValidator.read(next);
        DiffEncoder.Result[] res = new DiffEncoder.Result[1];
        AtomicFiles.write(output, out -> res[0] = DiffEncoder.diff(b, n, mode.options(n), asReceived, out));
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("base", base.toString());
        r.put("new", next.toString());
        r.put("output", output.toString());
        r.put("base_hash", ModelHash.hex(res[0].baseHash()));
        r.put("output_bytes", Files.size(output));
        r.put("tensors_changed", res[0].tensors().stream().filter(t -> !t.method().equals("skipped")).count());
        r.put("tensors_skipped", res[0].tensors().stream().filter(t -> t.method().equals("skipped")).count());
        r.put("tensors", res[0].tensors());
        return r;
    }

    @Override
    protected void printHuman(Map<String, Object> r, PrintStream out) {
        out.printf("update %s: %d bytes, %d tensors changed, %d unchanged (base %s)%n", r.get("output"), r.get("output_bytes"),
                r.get("tensors_changed"), r.get("tensors_skipped"), ((String) r.get("base_hash")).substring(0, 16));
    }
}
