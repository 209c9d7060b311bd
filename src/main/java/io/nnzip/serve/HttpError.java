package io.nnzip.serve;

import io.nnzip.ir.NnzipException;

/** A refusal with the HTTP status that says why (400 bad input, 401/403 auth, 404 unknown, 409 conflict, 413 too large). */
public final class HttpError extends NnzipException {
    private final int status;

    public HttpError(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() { return status; }
}
