package io.nnzip.serve;

import io.nnzip.codec.ModelHash;
import io.nnzip.codec.NnzCodec;
import io.nnzip.codec.dom.Patcher;
import io.nnzip.ir.Model;
import io.nnzip.ir.NnzipException;

/**
 * Fetches a version as cheaply as the server allows: the update from the model the client holds when the server
 * knows that model's hash, else the full .nnz stream. The result is checked against the hash the server announces.
 */
public final class Pull {
    /** The model, how it came (update or full), bytes received, and the size of the full stream for comparison. */
    public record Result(Model model, String mode, long bytesTransferred, long fullStreamBytes, String modelHash, String version) {}

    private Pull() {}

    public static Result pull(RepoClient client, RepoClient.Ref ref, Model have, int threads) {
        if (have != null) {
            String from = ModelHash.hex(ModelHash.of(have));
            RepoClient.Download d = null;
            try {
                d = client.update(ref, from);
            } catch (HttpError e) {
                if (e.status() != 404) throw e;
            }
            if (d != null) {
                Model m = Patcher.patch(have, d.body(), "update", threads);
                return new Result(verified(m, d.modelHash()), "update", d.body().length, d.fullBytes(), d.modelHash(), d.version());
            }
        }
        RepoClient.Download d = client.full(ref, "nnz");
        Model m = NnzCodec.decode(d.body(), ref.model());
        return new Result(verified(m, d.modelHash()), "full", d.body().length, d.body().length, d.modelHash(), d.version());
    }

    private static Model verified(Model m, String want) {
        String got = ModelHash.hex(ModelHash.of(m));
        if (want != null && !want.equals(got))
            throw new NnzipException("the pulled model hashes to " + got.substring(0, 16) + "…, the server announced " + want.substring(0, 16) + "…");
        return m;
    }
}
