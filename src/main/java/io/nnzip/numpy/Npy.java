package io.nnzip.numpy;

import io.nnzip.ir.DType;
import io.nnzip.ir.NnzipException;
import io.nnzip.ir.Shapes;
import io.nnzip.ir.Tensor;
import io.nnzip.util.AtomicFiles;
import io.nnzip.util.BoundedInflate;
import io.nnzip.util.Printable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * NumPy's .npy and .npz files.
 * <pre>
 * npy  --> magic "\x93NUMPY", major u8, minor u8, headerLen (u16 LE for v1, u32 LE for v2/v3), header, data
 * header --> Python dict literal {'descr': '&lt;f4', 'fortran_order': False, 'shape': (2, 3), } padded with spaces
 * npz  --> a zip archive of NAME.npy entries (stored or deflated)
 * </pre>
 * Reads C-order little-endian arrays of float32/64, int8/16/32/64, uint8/16/32, bool and float16.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {}

    public static Tensor read(Path file) {
        try {
            return parse(Files.readAllBytes(file), file.toString());
        } catch (NoSuchFileException e) {
            throw new NnzipException("no such file: " + file);
        } catch (IOException e) {
            throw new NnzipException("cannot read " + file + ": " + e.getMessage());
        }
    }

    public static Tensor parse(byte[] bytes, String where) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 10) throw new NnzipException(where + ": not a .npy file (too short)");
        for (int i = 0; i < MAGIC.length; i++)
            if (bytes[i] != MAGIC[i]) throw new NnzipException(where + ": not a .npy file (bad magic)");
        int major = bytes[6];
        int headerLen, start;
        if (major == 1) {
            headerLen = b.getShort(8) & 0xFFFF;
            start = 10;
        } else if (major == 2 || major == 3) {
            if (bytes.length < 12) throw new NnzipException(where + ": truncated .npy header");
            headerLen = b.getInt(8);
            start = 12;
        } else throw new NnzipException(where + ": unsupported .npy version " + major);
        if (headerLen < 0 || headerLen > bytes.length - start) throw new NnzipException(where + ": truncated .npy header");
        String header = new String(bytes, start, headerLen, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header), f = FORTRAN.matcher(header), s = SHAPE.matcher(header);
        if (!d.find() || !s.find()) throw new NnzipException(where + ": malformed .npy header: " + Printable.of(header.trim()));
        if (f.find() && f.group(1).equals("True")) throw new NnzipException(where + ": Fortran-order arrays are not supported; save with np.ascontiguousarray");
        String descr = d.group(1);
        DType t = dtypeOf(descr, where);
        String dims = s.group(1).trim();
        int[] shape = dims.isEmpty() ? new int[0] : java.util.Arrays.stream(dims.split(",")).map(String::trim).filter(x -> !x.isEmpty()).mapToInt(x -> dim(x, where)).toArray();
        int n;
        try {
            n = Shapes.numel(shape);
        } catch (NnzipException e) {
            throw new NnzipException(where + ": " + e.getMessage());
        }
        int dataStart = start + headerLen;
        long need = (long) n * (t == DType.BOOL ? 1 : t.size);
        if (bytes.length - dataStart < need)
            throw new NnzipException(where + ": data truncated (" + (bytes.length - dataStart) + " bytes, shape " + Shapes.str(shape) + " " + descr + " needs " + need + ")");
        ByteBuffer data = ByteBuffer.wrap(bytes, dataStart, (int) need).slice().order(ByteOrder.LITTLE_ENDIAN);
        Object arr = Tensor.allocate(t, n);
        switch (t) {
            case FLOAT -> data.asFloatBuffer().get((float[]) arr);
            case DOUBLE -> data.asDoubleBuffer().get((double[]) arr);
            case INT64, UINT64 -> data.asLongBuffer().get((long[]) arr);
            case INT32 -> data.asIntBuffer().get((int[]) arr);
            case UINT32 -> { long[] a = (long[]) arr; for (int i = 0; i < n; i++) a[i] = data.getInt(i * 4) & 0xFFFFFFFFL; }
            case INT16 -> { int[] a = (int[]) arr; for (int i = 0; i < n; i++) a[i] = data.getShort(i * 2); }
            case UINT16 -> { int[] a = (int[]) arr; for (int i = 0; i < n; i++) a[i] = data.getShort(i * 2) & 0xFFFF; }
            case FLOAT16 -> data.asShortBuffer().get((short[]) arr);
            default -> data.get((byte[]) arr);
        }
        return new Tensor(t, shape, arr);
    }

    private static int dim(String x, String where) {
        if (!x.matches("\\d+")) throw new NnzipException(where + ": malformed .npy shape entry '" + Printable.of(x) + "'");
        if (x.length() > 12 || Long.parseLong(x) > Integer.MAX_VALUE) throw new NnzipException(where + ": .npy dimension " + Printable.of(x) + " is too large");
        long d = Long.parseLong(x);
        return (int) d;
    }

    private static DType dtypeOf(String descr, String where) {
        String d = descr.length() == 3 && (descr.charAt(0) == '<' || descr.charAt(0) == '|' || descr.charAt(0) == '=') ? descr.substring(1) : descr;
        if (descr.startsWith(">") && !descr.endsWith("1")) throw new NnzipException(where + ": big-endian arrays are not supported (" + Printable.of(descr) + ")");
        return switch (d) {
            case "f4" -> DType.FLOAT;
            case "f8" -> DType.DOUBLE;
            case "f2" -> DType.FLOAT16;
            case "i8" -> DType.INT64;
            case "i4" -> DType.INT32;
            case "i2" -> DType.INT16;
            case "i1" -> DType.INT8;
            case "u8" -> DType.UINT64;
            case "u4" -> DType.UINT32;
            case "u2" -> DType.UINT16;
            case "u1" -> DType.UINT8;
            case "b1" -> DType.BOOL;
            default -> throw new NnzipException(where + ": unsupported .npy dtype '" + Printable.of(descr) + "'");
        };
    }

    private static String descrOf(DType t) {
        return switch (t) {
            case FLOAT -> "<f4";
            case DOUBLE -> "<f8";
            case FLOAT16 -> "<f2";
            case INT64 -> "<i8";
            case INT32 -> "<i4";
            case INT16 -> "<i2";
            case INT8 -> "|i1";
            case UINT64 -> "<u8";
            case UINT32 -> "<u4";
            case UINT16 -> "<u2";
            case UINT8 -> "|u1";
            case BOOL -> "|b1";
            default -> throw new NnzipException("cannot write a " + t.lower() + " tensor as .npy");
        };
    }

    public static byte[] toBytes(Tensor t) {
        int[] s = t.shape();
        StringBuilder shape = new StringBuilder("(");
        for (int i = 0; i < s.length; i++) shape.append(s[i]).append(s.length == 1 ? "," : i + 1 < s.length ? ", " : "");
        shape.append(')');
        String h = "{'descr': '" + descrOf(t.dtype()) + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int total = 10 + h.length() + 1;
        int pad = (64 - total % 64) % 64;
        String header = h + " ".repeat(pad) + "\n";
        int n = t.size();
        int elem = t.dtype() == DType.BOOL ? 1 : t.dtype().size;
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + n * elem).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length()).put(header.getBytes(StandardCharsets.ISO_8859_1));
        switch (t.dtype()) {
            case FLOAT -> { for (float v : t.floats()) b.putFloat(v); }
            case DOUBLE -> { for (double v : t.doubles()) b.putDouble(v); }
            case INT64, UINT64 -> { for (long v : t.longs()) b.putLong(v); }
            case UINT32 -> { for (long v : t.longs()) b.putInt((int) v); }
            case INT32 -> { for (int v : t.ints()) b.putInt(v); }
            case INT16, UINT16 -> { for (int v : t.ints()) b.putShort((short) v); }
            case FLOAT16 -> { for (short v : t.shorts()) b.putShort(v); }
            default -> b.put(t.bytes());
        }
        return b.array();
    }

    public static void write(Path file, Tensor t) { AtomicFiles.write(file, toBytes(t)); }

    /** Reads every array of an .npz archive, in archive order, keyed by name without the .npy suffix. */
    public static Map<String, Tensor> readNpz(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return parseNpz(in, file.toString());
        } catch (NoSuchFileException e) {
            throw new NnzipException("no such file: " + file);
        } catch (IOException e) {
            throw new NnzipException(file + ": not a valid .npz archive (" + e.getMessage() + ")");
        }
    }

    /** {@link #readNpz} on a stream; {@code where} names it in errors. Each entry inflates under {@link BoundedInflate}'s caps. */
    public static Map<String, Tensor> parseNpz(InputStream in, String where) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (ZipInputStream z = new ZipInputStream(in)) {
            ZipEntry e;
            while ((e = z.getNextEntry()) != null) {
                String name = e.getName();
                if (!name.endsWith(".npy")) continue;
                byte[] npy = BoundedInflate.readAll(z, e.getSize(), where + ":" + Printable.of(name));
                String key = name.substring(0, name.length() - 4);
                out.put(key, parse(npy, where + ":" + Printable.of(name)));
            }
        } catch (IOException | IllegalArgumentException e) {
            // ZipInputStream reports malformed entry names and headers as IllegalArgumentException
            throw new NnzipException(where + ": not a valid .npz archive (" + Printable.of(String.valueOf(e.getMessage())) + ")");
        }
        if (out.isEmpty()) throw new NnzipException(where + ": no arrays in .npz archive");
        return out;
    }

    public static void writeNpz(Path file, Map<String, Tensor> arrays) {
        AtomicFiles.write(file, (OutputStream os) -> {
            ZipOutputStream z = new ZipOutputStream(os);
            for (Map.Entry<String, Tensor> e : arrays.entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey() + ".npy"));
                z.write(toBytes(e.getValue()));
                z.closeEntry();
            }
            z.finish();
        });
    }

    /** Reads .npz as a map, or .npy as a single array under the key {@code ""}. */
    public static Map<String, Tensor> readAny(Path file) {
        String f = file.getFileName().toString().toLowerCase();
        if (f.endsWith(".npz")) return readNpz(file);
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("", read(file));
        return m;
    }
}
