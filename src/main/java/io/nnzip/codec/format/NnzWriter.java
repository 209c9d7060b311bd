package io.nnzip.codec.format;

import io.nnzip.codec.bits.ByteSink;
import io.nnzip.codec.syntax.SyntaxWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.zip.CRC32C;

/** Writes a .nnz stream unit by unit (see {@link NnzFormat}); nothing is buffered beyond the current unit. */
public final class NnzWriter {
    private final OutputStream out;
    private final CRC32C fileCrc = new CRC32C();
    private long units;
    private long bytes;
    private boolean finished;

    public NnzWriter(OutputStream out, StreamHeader header) {
        this.out = out;
        ByteSink s = new ByteSink();
        s.bytes(NnzFormat.MAGIC);
        s.u16(NnzFormat.VERSION);
        ByteSink body = new ByteSink();
        header.syntax(new SyntaxWriter(body));
        s.uvar(body.length());
        s.bytes(body.array(), 0, body.length());
        CRC32C c = new CRC32C();
        c.update(s.array(), 0, s.length());
        s.u32((int) c.getValue());
        emit(s);
    }

    private void emit(ByteSink s) {
        try {
            out.write(s.array(), 0, s.length());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        fileCrc.update(s.array(), 0, s.length());
        bytes += s.length();
    }

    public void unit(int type, byte[] payload) {
        if (type <= 0 || type > 255) throw new IllegalArgumentException("unit type " + type);
        if (finished) throw new IllegalStateException("stream already finished");
        ByteSink s = new ByteSink(payload.length + 16);
        s.u8(type);
        s.uvar(payload.length);
        s.bytes(payload);
        CRC32C c = new CRC32C();
        c.update(s.array(), 0, s.length());
        s.u32((int) c.getValue());
        emit(s);
        units++;
    }

    /** Writes the footer; the stream is complete after this. */
    public long finish() {
        ByteSink s = new ByteSink();
        s.u8(0);
        s.uvar(units);
        fileCrc.update(s.array(), 0, s.length());
        s.u32((int) fileCrc.getValue());
        finished = true;
        try {
            out.write(s.array(), 0, s.length());
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        bytes += s.length();
        return bytes;
    }

    public long bytesWritten() { return bytes; }
}
