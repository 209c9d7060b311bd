package io.nnzip.codec.format;

import io.nnzip.codec.syntax.SyntaxIO;

/**
 * What a stream is and where it came from: its kind, the tool version and recipe (options) that made it, and
 * for updates the content hash of the base model it applies to.
 */
public final class StreamHeader {
    public int kind;
    public String toolVersion = "";
    public String recipe = "";
    public byte[] baseHash = new byte[0];

    public StreamHeader() {}

    public StreamHeader(int kind, String toolVersion, String recipe, byte[] baseHash) {
        this.kind = kind;
        this.toolVersion = toolVersion;
        this.recipe = recipe;
        this.baseHash = baseHash == null ? new byte[0] : baseHash;
    }

    public void syntax(SyntaxIO io) {
        kind = io.u8("kind", kind);
        toolVersion = io.str("tool_version", toolVersion);
        recipe = io.str("recipe", recipe);
        baseHash = io.blob("base_hash", baseHash);
    }
}
