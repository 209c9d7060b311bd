import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

public class Crash_c5bb0af0f23bd325cbae77bd6eae8cf03b86d664 {
    static final String base64Bytes = String.join("", "AYlOTloEABEBBTAuMS4wCGxvc3MCAACSAP////////////////+TAXV42uMABABOTgBaiREBBREBBTAuMf//////////////////////////////////////////////////////////////kwF1eNrjAAQATk4AWokRAQURAQUwLjEuMAhsb3Nz4BBizcuryjHFLA==");

    public static void main(String[] args) throws Throwable {
        Crash_c5bb0af0f23bd325cbae77bd6eae8cf03b86d664.class.getClassLoader().setDefaultAssertionStatus(true);
        try {
            Method fuzzerInitialize = io.nnzip.fuzz.NnzTarget.class.getMethod("fuzzerInitialize");
            fuzzerInitialize.invoke(null);
        } catch (NoSuchMethodException ignored) {
            try {
                Method fuzzerInitialize = io.nnzip.fuzz.NnzTarget.class.getMethod("fuzzerInitialize", String[].class);
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
        io.nnzip.fuzz.NnzTarget.fuzzerTestOneInput(input);
    }
}