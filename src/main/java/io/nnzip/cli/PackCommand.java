package io.nnzip.cli;

import io.nnzip.codec.dom.BundleCodec;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.engine.ModelValidator;
import io.nnzip.util.AtomicFiles;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "pack", mixinStandardHelpOptions = true,
        description = "Code related models into one bundle: a root once, the others as differences to it.")
public final class PackCommand extends BaseCommand {
    @Parameters(arity = "1..*", paramLabel = "MODEL")
    List<Path> models;

    @Option(names = {"-o", "--output"}, required = true)
    Path output;

    @Option(names = "--root", description = "'auto' (smallest estimated bundle) or one of the model files.", defaultValue = "auto")
    String root;

    @Mixin
    CodecModeOptions mode;

    @Override
    protected Map<String, Object> execute() throws Exception {
        LinkedHashMap<String, Model> ms = new LinkedHashMap<>();
        for (Path p : models) {
            String name = p.getFileName().toString();
            if (ms.put(name, ModelValidator.read(p)) != null) throw new NnzipException("two models are named " + name + "; bundle members are named by file name");
        }
        String rootName = root.equals("auto") ? "auto" : Path.of(root).getFileName().toString();
        BundleCodec.Packed[] res = new BundleCodec.Packed[1];
        AtomicFiles.write(output, out -> res[0] = BundleCodec.pack(ms, rootName, mode.options(ms.get(rootName.equals("auto") ? ms.keySet().iterator().next() : rootName)), out));
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("output", output.toString());
        r.put("root", res[0].root());
        r.put("output_bytes", Files.size(output));
        if (res[0].estimate() != null) {
            r.put("estimated_bits_by_root", res[0].estimate().bitsByRoot());
            r.put("identical_layer_share_by_root", res[0].estimate().identicalShare());
        }
        Map<String, Long> per = new LinkedHashMap<>();
        res[0].members().forEach((k, v) -> per.put(k, v.stream().mapToLong(t -> t.bytes()).sum()));
        r.put("tensor_bytes_by_member", per);
        return r;
    }

    @Override
    protected void printHuman(Map<String, Object> r, PrintStream out) {
        out.printf("bundle %s: %d bytes, root %s; tensor bytes per member %s%n", r.get("output"), r.get("output_bytes"), r.get("root"), r.get("tensor_bytes_by_member"));
    }
}
