package io.nnzip.cli;

import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.onnx.OnnxWriter;
import io.nnzip.serve.Pull;
import io.nnzip.serve.RepoClient;
import io.nnzip.util.AtomicFiles;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "pull", mixinStandardHelpOptions = true,
        description = "Fetch a model version from an nnzip server: only the update against the model you have when the server knows it, else the full stream.")
public final class PullCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "URL/MODEL[@VERSION]")
    String ref;

    @Option(names = "--have", paramLabel = "MODEL.onnx", description = "The model you hold (as decoded or pulled before); its hash selects the update.")
    Path have;

    @Option(names = {"-o", "--output"}, required = true)
    Path output;

    @Option(names = "--threads", description = "Decoding threads (default: all cores).")
    int threads = OptionRules.CORES;

    @Override
    protected Map<String, Object> execute() {
        RepoClient.Ref r = RepoClient.Ref.parse(ref);
        Model h = have == null ? null : io.nnzip.engine.ModelValidator.read(have);
        Pull.Result res = Pull.pull(new RepoClient(), r, h, threads);
        AtomicFiles.write(output, out -> out.write(OnnxWriter.toBytes(res.model())));
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("model", r.model());
        o.put("version", res.version());
        o.put("mode", res.mode());
        o.put("bytes_transferred", res.bytesTransferred());
        o.put("full_stream_bytes", res.fullStreamBytes());
        o.put("model_hash", res.modelHash());
        o.put("output", output.toString());
        return o;
    }

    @Override
    protected void printHuman(Map<String, Object> r, PrintStream out) {
        out.printf("pulled %s@%s as %s: %d bytes transferred (full stream %d B) -> %s%n", r.get("model"), r.get("version"), r.get("mode"),
                r.get("bytes_transferred"), r.get("full_stream_bytes"), r.get("output"));
    }
}
