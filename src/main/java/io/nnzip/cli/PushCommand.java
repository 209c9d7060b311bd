package io.nnzip.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.nnzip.codec.dom.DiffEncoder;
import io.nnzip.codec.dom.Patcher;
import io.nnzip.codec.dom.SparseUpdate;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;
import io.nnzip.onnx.OnnxReader;
import io.nnzip.serve.RepoClient;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "push", mixinStandardHelpOptions = true,
        description = "Publish a model to an nnzip server as a new version (or as an update against --base), or contribute it to a federated round.")
public final class PushCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "URL/MODEL")
    String ref;

    @Parameters(index = "1", paramLabel = "MODEL", description = "ONNX model, or a .nnz model stream (sent as it is).")
    Path model;

    @Option(names = "--token-file", required = true, paramLabel = "FILE")
    Path tokenFile;

    @Option(names = "--base", paramLabel = "VERSION", description = "Send only the update against this version (as the server serves it).")
    String base;

    @Option(names = "--have", paramLabel = "BASE.onnx", description = "With --base: the base as you hold it (saves downloading it).")
    Path have;

    @Option(names = "--round", description = "Contribute to this federated round instead of publishing a version (see 'aggregate').")
    String round;

    @Option(names = "--samples", description = "With --round: training samples behind this contribution (FedAvg weight).", defaultValue = "0")
    long samples;

    @Option(names = "--top-k", paramLabel = "FRACTION", description = "With --base: send only this fraction of each weight tensor's largest changes (federated rounds).")
    Double topK;

    @Option(names = "--residual", paramLabel = "FILE.npz", description = "With --top-k: the error-feedback residual the sender keeps (read if present, then rewritten).")
    Path residual;

    @Mixin
    CodecModeOptions mode;

    @Override
    protected Map<String, Object> execute() throws Exception {
        RepoClient.Ref r = RepoClient.Ref.parse(ref);
        if (round != null && samples <= 0) throw new NnzipException("--round needs --samples N (N > 0)");
        if (have != null && base == null) throw new NnzipException("--have only applies with --base");
        if ((topK != null || residual != null) && base == null) throw new NnzipException("--top-k and --residual only apply with --base");
        String token = RepoClient.token(tokenFile);
        RepoClient c = new RepoClient();
        byte[] body;
        if (base != null) {
            Model b = have != null ? io.nnzip.engine.ModelValidator.read(have) : OnnxReader.read(c.full(new RepoClient.Ref(r.server(), r.model(), base), "onnx").body(), null);
            Model next = io.nnzip.engine.ModelValidator.read(model);
            Map<String, io.nnzip.ir.Tensor> res = residual != null && Files.exists(residual) ? io.nnzip.numpy.Npy.readNpz(residual) : Map.of();
            Model target = topK == null ? next : SparseUpdate.sparsify(b, next, res, topK).target();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            DiffEncoder.diff(b, target, mode.options(), true, out);
            body = out.toByteArray();
            if (topK != null && residual != null) {
                Model patched = Patcher.patch(b, body, "update", mode.options().threads());
                io.nnzip.numpy.Npy.writeNpz(residual, SparseUpdate.residual(b, next, res, patched));
            }
        } else body = Files.readAllBytes(model);
        JsonNode reply = c.publish(r, body, token, round, samples);
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("model", r.model());
        o.put("version", reply.path("version").isNull() ? null : reply.path("version").asText(null));
        o.put("round", round);
        o.put("kind", reply.path("kind").asText());
        o.put("bytes_sent", body.length);
        o.put("model_hash", reply.path("modelHash").asText());
        return o;
    }

    @Override
    protected void printHuman(Map<String, Object> r, java.io.PrintStream out) {
        out.printf("pushed %s (%s, %d bytes sent)%s%n", r.get("model"), r.get("kind"), r.get("bytes_sent"),
                r.get("round") != null ? " to round " + r.get("round") : " as version " + r.get("version"));
    }
}
