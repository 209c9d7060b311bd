package io.nnzip.cli;

import io.nnzip.codec.dom.BundleCodec;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.onnx.OnnxWriter;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "unpack", mixinStandardHelpOptions = true, description = "Decode every model of a bundle into a directory.")
public final class UnpackCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "BUNDLE")
    Path input;

    @Option(names = {"-d", "--dir"}, required = true, description = "Directory for the decoded ONNX files.")
    Path dir;

    @Override
    protected Map<String, Object> execute() throws Exception {
        LinkedHashMap<String, Model> ms = BundleCodec.unpack(DecodeCommand.readAll(input), input.toString());
        List<String> written = new ArrayList<>();
        // -d names the folder unpack fills: creating it is the documented choice (docs/CLI.md), unlike -o's folder
        java.nio.file.Files.createDirectories(dir);
        for (Map.Entry<String, Model> e : ms.entrySet()) {
            String name = e.getKey();
            // Member names come from the file; never let them escape the target directory.
            if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.equals(".") || name.equals(".."))
                throw new NnzipException(input + ": bundle member name '" + name + "' is not a plain file name");
            Path out = dir.resolve(name.endsWith(".onnx") ? name : name + ".onnx");
            OnnxWriter.write(e.getValue(), out);
            written.add(out.toString());
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("input", input.toString());
        r.put("written", written);
        return r;
    }

    @Override
    protected void printHuman(Map<String, Object> r, PrintStream out) { ((List<?>) r.get("written")).forEach(w -> out.println("wrote " + w)); }
}
