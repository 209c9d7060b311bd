package io.nnzip.cli;

import io.nnzip.codec.NnzCodec;
import io.nnzip.engine.ModelValidator;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.onnx.OnnxWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "decode", mixinStandardHelpOptions = true, description = "Decode a .nnz model back into a standard ONNX file.")
public final class DecodeCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "NNZ")
    Path input;

    @Option(names = {"-o", "--output"}, required = true, description = "The ONNX file to write.")
    Path output;

    static byte[] readAll(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new NnzipException("no such file: " + p);
        } catch (IOException e) {
            throw new NnzipException("cannot read " + p + ": " + e.getMessage());
        }
    }

    @Override
    protected Map<String, Object> execute() throws Exception {
        Model m = ModelValidator.validate(NnzCodec.decode(readAll(input), input.toString()), input.toString());
        OnnxWriter.write(m, output);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("input", input.toString());
        r.put("output", output.toString());
        r.put("tensors", m.graph().initializers().size());
        r.put("output_bytes", Files.size(output));
        return r;
    }

    @Override
    protected void printHuman(Map<String, Object> r, PrintStream out) {
        out.printf("%s -> %s (%d tensors, %d bytes)%n", r.get("input"), r.get("output"), r.get("tensors"), r.get("output_bytes"));
    }
}
