package io.nnzip.serve;

import io.nnzip.ir.NnzipException;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/** An embedded Jetty serving a {@link ModelRepository}; bound to 127.0.0.1 unless told otherwise. */
public final class ModelServer implements AutoCloseable {
    /** host/port to bind (port 0 = any free port), the publish token (null = read-only), the upload limit in bytes. */
    public record Config(String host, int port, String token, long maxUpload) {}

    private final Server server;
    private final ServerConnector connector;

    public ModelServer(ModelRepository repo, Config c) {
        QueuedThreadPool pool = new QueuedThreadPool(64, 4);
        pool.setName("nnzip-serve");
        server = new Server(pool);
        connector = new ServerConnector(server);
        connector.setHost(c.host());
        connector.setPort(c.port());
        server.addConnector(connector);
        server.setHandler(new RepoHandler(repo, c.token(), c.maxUpload()));
        server.setStopTimeout(2000);
        try {
            server.start();
        } catch (Exception e) {
            throw new NnzipException("cannot start the server on " + c.host() + ":" + c.port() + ": " + e.getMessage(), e);
        }
    }

    public int port() { return connector.getLocalPort(); }

    public String url() { return "http://" + (connector.getHost().contains(":") ? "[" + connector.getHost() + "]" : connector.getHost()) + ":" + port(); }

    public void join() throws InterruptedException { server.join(); }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            throw new NnzipException("cannot stop the server: " + e.getMessage(), e);
        }
    }
}
