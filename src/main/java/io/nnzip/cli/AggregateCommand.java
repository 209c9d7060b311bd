package io.nnzip.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.nnzip.serve.RepoClient;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "aggregate", mixinStandardHelpOptions = true,
        description = "FedAvg on the server: average a round's pushed contributions, weighted by their sample counts, into a new version.")
public final class AggregateCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "URL/MODEL")
    String ref;

    @Option(names = "--round", required = true)
    String round;

    @Option(names = "--token-file", required = true, paramLabel = "FILE")
    Path tokenFile;

    @Override
    protected Map<String, Object> execute() {
        RepoClient.Ref r = RepoClient.Ref.parse(ref);
        JsonNode reply = new RepoClient().aggregate(r, round, RepoClient.token(tokenFile));
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("model", r.model());
        o.put("round", round);
        o.put("version", reply.path("version").asText());
        o.put("model_hash", reply.path("modelHash").asText());
        o.put("nnz_bytes", reply.path("nnzBytes").asLong());
        return o;
    }

    @Override
    protected void printHuman(Map<String, Object> r, java.io.PrintStream out) {
        out.printf("round %s of %s averaged into version %s (%d B .nnz)%n", r.get("round"), r.get("model"), r.get("version"), r.get("nnz_bytes"));
    }
}
