package io.nnzip.cli;

import io.nnzip.codec.dom.BundleCodec;
import io.nnzip.codec.dom.MemberUnit;
import io.nnzip.engine.ModelValidator;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.util.AtomicFiles;
import java.io.PrintStream;
import java.nio.file.Files;
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

    @Option(names = {"-d", "--dir"}, required = true, description = "Folder for the decoded ONNX files (created if missing; nothing is written unless every member is valid).")
    Path dir;

    @Override
    protected Map<String, Object> execute() throws Exception {
        LinkedHashMap<String, Model> ms = BundleCodec.unpack(DecodeCommand.readAll(input), input.toString());
        // Everything is checked before the first byte is written, and the files appear together or not at all.
        Map<String, Model> files = new LinkedHashMap<>();
        for (Map.Entry<String, Model> e : ms.entrySet()) {
            String name = MemberUnit.checkName(e.getKey());
            String file = name.endsWith(".onnx") ? name : name + ".onnx";
            if (files.put(file, ModelValidator.validate(e.getValue(), input + ": member '" + name + "'")) != null)
                throw new NnzipException(input + ": two bundle members unpack to the same file " + file);
        }
        List<String> written = new ArrayList<>();
        for (String f : files.keySet()) written.add(dir.resolve(f).toString());
        if (Files.isDirectory(dir)) writeInto(dir, files);
        else if (Files.exists(dir)) throw new NnzipException("cannot unpack into " + dir + ": it exists and is not a folder");
        else AtomicFiles.writeFolder(dir, tmp -> writeInto(tmp, files));
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("input", input.toString());
        r.put("written", written);
        return r;
    }

    private static void writeInto(Path folder, Map<String, Model> files) {
        Map<Path, AtomicFiles.Writer> out = new LinkedHashMap<>();
        files.forEach((f, m) -> out.put(folder.resolve(f), OnnxWriter.proto(m, null)::writeTo));
        AtomicFiles.writeAll(out);
    }

    @Override
    protected void printHuman(Map<String, Object> r, PrintStream out) { ((List<?>) r.get("written")).forEach(w -> out.println("wrote " + w)); }
}
