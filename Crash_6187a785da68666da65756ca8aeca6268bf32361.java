import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

public class Crash_6187a785da68666da65756ca8aeca6268bf32361 {
    static final String base64Bytes = String.join("", "AJNOVU1QWQPF/v//fwAAAAB2KA==");

    public static void main(String[] args) throws Throwable {
        Crash_6187a785da68666da65756ca8aeca6268bf32361.class.getClassLoader().setDefaultAssertionStatus(true);
        try {
            Method fuzzerInitialize = io.nnzip.fuzz.NpyTarget.class.getMethod("fuzzerInitialize");
            fuzzerInitialize.invoke(null);
        } catch (NoSuchMethodException ignored) {
            try {
                Method fuzzerInitialize = io.nnzip.fuzz.NpyTarget.class.getMethod("fuzzerInitialize", String[].class);
                fuzzerInitialize.invoke(null, (Object) args);
            } catch (NoSuchMethodException ignored1) {
            } catch (IllegalAccessException | InvocationTargetException e) {
                e.printStackTrace();
                System.exit(1);
            }
        } catch (IllegalAccessException | InvocationTargetException e) {
            e.printStackTrace();
            System.exit(1);
        }
        byte[] input = java.util.Base64.getDecoder().decode(base64Bytes);
        io.nnzip.fuzz.NpyTarget.fuzzerTestOneInput(input);
    }
}