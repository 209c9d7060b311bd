package io.nnzip.cli;

import io.nnzip.serve.ModelRepository;
import io.nnzip.serve.ModelServer;
import io.nnzip.serve.RepoClient;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run an HTTP model repository: publish versions, fetch them whole or as updates against what the client holds (API: docs/openapi.yaml).")
public final class ServeCommand extends BaseCommand {
    @Option(names = "--repo", required = true, paramLabel = "DIR", description = "Repository directory (created if missing).")
    Path repo;

    @Option(names = "--port", description = "TCP port (0 = any free port; default ${DEFAULT-VALUE}).", defaultValue = "8080")
    int port;

    @Option(names = "--host", description = "Address to bind (default ${DEFAULT-VALUE}: this machine only).", defaultValue = "127.0.0.1")
    String host;

    @Option(names = "--token-file", paramLabel = "FILE", description = "File holding the bearer token that publishing needs; without it the server is read-only.")
    Path tokenFile;

    @Option(names = "--max-upload", paramLabel = "BYTES", description = "Largest accepted upload (default ${DEFAULT-VALUE}); larger declared sizes get 413 before the body is read.",
            defaultValue = "1073741824")
    long maxUpload;

    @Mixin
    CodecModeOptions mode;

    @Override
    protected Map<String, Object> execute() throws Exception {
        ModelRepository r = new ModelRepository(repo, mode.options());
        ModelServer s = new ModelServer(r, new ModelServer.Config(host, port, tokenFile == null ? null : RepoClient.token(tokenFile), maxUpload));
        Runtime.getRuntime().addShutdownHook(new Thread(s::close));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("url", s.url());
        out.put("repo", repo.toString());
        out.put("read_only", tokenFile == null);
        out.put("recipe", r.options().recipe());
        // announced before blocking, so scripts and tests can read the port
        if (json) System.out.println(JSON.writeValueAsString(out));
        else System.out.println("nnzip serve: " + s.url() + " (repository " + repo + (tokenFile == null ? ", read-only" : "") + ")");
        System.out.flush();
        s.join();
        System.exit(0); // the server was stopped; the result was already printed above
        return out;
    }
}
