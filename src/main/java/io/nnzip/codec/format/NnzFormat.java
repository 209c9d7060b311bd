package io.nnzip.codec.format;

/**
 * The .nnz container format, version 8 (readers also accept versions 1 to 7). This grammar is the specification (docs/FORMAT.md explains it at
 * more length); each element names the primitive of {@link io.nnzip.codec.syntax.SyntaxIO} that codes it.
 * <pre>
 * File        --&gt; Header, Unit^N, Footer
 * Header      --&gt; Magic, Version, HeaderBody, HeaderCrc
 *   Magic       : 4 bytes 0x89 'N' 'N' 'Z'
 *   Version     : u16 little endian (this reader accepts {@link #VERSION_MIN}..{@link #VERSION_MAX})
 *   HeaderBody  --&gt; Length:uvar, {@link StreamHeader} (Length bytes)
 *   HeaderCrc   : u32, CRC32C of Magic, Version and HeaderBody (so provenance is trusted before any unit is read)
 * StreamHeader --&gt; Kind:u8 (1 model, 2 update, 3 bundle), ToolVersion:str, Recipe:str, BaseHash:blob (0 or 32 bytes)
 * Unit        --&gt; Type:u8 (≠ 0), Length:uvar, Payload (Length bytes), UnitCrc:u32 (CRC32C of Type, Length, Payload)
 *   Type 1 TOPOLOGY : {@link io.nnzip.codec.TopologyUnit}
 *   Type 2 TENSOR   : {@link io.nnzip.codec.TensorUnit}
 *   Type 3 MEMBER   : {@link io.nnzip.codec.dom.MemberUnit} (bundles only: starts the next model)
 * Footer      --&gt; EndMark:u8 (= 0), UnitCount:uvar, FileCrc:u32 (CRC32C of every byte before FileCrc)
 * </pre>
 * Every unit carries its own length and checksum and can be decoded on its own (a TENSOR unit of a difference
 * needs the co-located base tensor as well). Readers skip unit types they do not know.
 */
public final class NnzFormat {
    public static final byte[] MAGIC = {(byte) 0x89, 'N', 'N', 'Z'};
    /**
     * Version 2 changed only the binarization of quantized levels; version 3 added a second level binarization
     * (chosen per tensor), independently coded slices of levels, and lossless float16/bfloat16 tensors (see
     * {@link io.nnzip.codec.TensorUnit}); version 4 added the INT_SYMBOLS method (small-alphabet integer tensors
     * coded as ranks into a symbol table), which a version-3 reader could not parse; version 5 added dependent
     * (trellis-coded) quantization: a Quantizer byte in UNIFORM and DOM_UNIFORM units and state-selected contexts;
     * version 6 added row skip flags to DOM_UNIFORM units (update rows whose change is below the step are not coded,
     * {@link io.nnzip.codec.RowSkip}); version 7 added level scheme 2 for DOM_UNIFORM units of rank ≥ 2 (sig contexts
     * split by the activity of the level's column, {@link io.nnzip.codec.binarize.ColumnActivity}); version 8 codes
     * float exponents relative to the tensor's median ({@link io.nnzip.codec.binarize.FloatBinarization}) and lets the
     * topology unit keep small integer initializers in its proto, named in the directory without a tensor unit
     * ({@link io.nnzip.codec.TopologyUnit#inlined}); a version-7 reader would report those tensors missing.
     */
    public static final int VERSION = 8;
    public static final int VERSION_MIN = 1;
    public static final int VERSION_MAX = 8;
    public static final int TOPOLOGY = 1, TENSOR = 2, MEMBER = 3;
    public static final int KIND_MODEL = 1, KIND_UPDATE = 2, KIND_BUNDLE = 3;
    /** Largest unit payload a reader accepts (the protobuf limit for one model is 2 GiB as well). */
    public static final long MAX_UNIT = Integer.MAX_VALUE - 64;

    private NnzFormat() {}

    public static String kindName(int kind) {
        return switch (kind) {
            case KIND_MODEL -> "model";
            case KIND_UPDATE -> "update";
            case KIND_BUNDLE -> "bundle";
            default -> "kind " + kind;
        };
    }

    public static String unitName(int type) {
        return switch (type) {
            case TOPOLOGY -> "topology";
            case TENSOR -> "tensor";
            case MEMBER -> "member";
            default -> "unit type " + type;
        };
    }
}
