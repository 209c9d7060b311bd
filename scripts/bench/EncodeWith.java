import io.nnzip.codec.EncodeConfig;
import io.nnzip.codec.NnzCodec;
import io.nnzip.ir.Model;
import io.nnzip.onnx.OnnxReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Codes a model with a recipe's encode options through the codec API of whichever nnzip jar is on the class path, so
 * two builds (two format versions) can be compared on one model: java --add-modules jdk.incubator.vector
 * -cp "JAR/nnzip.jar:JAR/lib/*" scripts/bench/EncodeWith.java MODEL.onnx "provenance=compact;float_mantissa=5" OUT.nnz
 * Prints the stream's size in bytes.
 */
public class EncodeWith {
    public static void main(String[] a) throws Exception {
        Map<String, Object> v = new LinkedHashMap<>();
        for (String kv : a[1].split(";")) {
            String[] p = kv.split("=", 2);
            v.put(p[0], p[1]);
        }
        EncodeConfig c = EncodeConfig.of(v);
        Model m = io.nnzip.pass.Provenance.keep(OnnxReader.read(Path.of(a[0])), c.provenance());
        byte[] b = NnzCodec.encode(m, c.options(m, 2));
        Files.write(Path.of(a[2]), b);
        System.out.println(b.length);
    }
}
