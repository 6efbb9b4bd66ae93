package dev.tandem.hub.store;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway Redis server for tests: {@code redis-server} on a free loopback port, persisting
 * nothing, with its working directory in a temporary directory; {@link #kill} and {@link #start}
 * make an outage (everything it held is gone, as after a real restart without persistence).
 * Stopped and deleted by {@link #close} or at JVM exit. Tests skip only when the binary is not
 * installed (.ci/run installs it).
 */
public final class RedisServer implements AutoCloseable {
    private static final Path BINARY = Path.of("/usr/bin/redis-server");
    private final Path dir;
    private final int port;
    private final Thread cleanup;
    private Process process;

    private RedisServer() throws IOException, InterruptedException {
        dir = Files.createTempDirectory("tandem-redis-");
        port = TestServers.freePort();
        cleanup = new Thread(this::destroy, "tandem-redis-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        start();
    }

    /** Skips the calling test unless redis-server is installed. */
    public static void assumeInstalled() {
        Assumptions.assumeTrue(Files.isExecutable(BINARY), "redis-server is not installed: apt-get install redis-server (.ci/run does)");
    }

    /** A new server of the test's own. */
    public static RedisServer startOwn() throws Exception {
        assumeInstalled();
        return new RedisServer();
    }

    public int port() {
        return port;
    }

    /** {@code redis://127.0.0.1:PORT}. */
    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** Starts the server (again, after {@link #kill}) on the same port; returns once it accepts connections. */
    public synchronized void start() throws IOException, InterruptedException {
        process = new ProcessBuilder(BINARY.toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", dir.toString(), "--protected-mode", "yes")
                .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException e) {
                if (!process.isAlive()) throw new IOException("redis-server exited with " + process.exitValue() + ": " + Files.readString(dir.resolve("redis.log")));
                if (System.nanoTime() > deadline) throw new IOException("redis-server did not accept connections on " + port + " within 20 s");
                Thread.sleep(20);
            }
        }
    }

    /** Kills the server (SIGKILL): connections drop, messages in flight and everything it held are lost. */
    public synchronized void kill() throws InterruptedException {
        if (process == null) return;
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
        process = null;
    }

    @Override
    public void close() {
        destroy();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException e) {
            // Already shutting down: the hook runs destroy again, harmlessly.
        }
    }

    private void destroy() {
        try {
            kill();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        TestServers.deleteTree(dir);
    }
}
