package dev.tandem.hub.store;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A throwaway PostgreSQL server for tests: initdb into a temporary directory, started on a free
 * loopback port with its socket in that directory, stopped and deleted by {@link #close} (or at
 * JVM exit). Under root it runs as the {@code postgres} user, as initdb refuses root. Every step
 * is bounded by a timeout. Tests skip (with a message saying what to install) only when the
 * server binaries are not there.
 */
public final class PostgresServer implements AutoCloseable {
    private static final long STEP_SECONDS = 60;
    private static PostgresServer shared;
    private static final AtomicInteger databases = new AtomicInteger();

    private final Path bin;
    private final Path dir;
    private final Path data;
    private final int port;
    private final Thread cleanup;

    private PostgresServer(Path bin) throws IOException, InterruptedException {
        this.bin = bin;
        this.dir = Files.createTempDirectory("tandem-pg-");
        this.data = dir.resolve("data");
        this.port = TestServers.freePort();
        if (isRoot()) run(List.of("chown", "-R", "postgres:postgres", dir.toString()), false);
        // initdb takes seconds here; a copy of one cluster made at the first start takes a blink.
        run(List.of("cp", "-a", template(bin).toString(), data.toString()), true);
        this.cleanup = new Thread(this::destroy, "tandem-pg-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        start();
    }

    private static Path template;

    /** An initdb'd, never started cluster that every server of this run starts as a copy of. */
    private static synchronized Path template(Path bin) throws IOException, InterruptedException {
        if (template != null) return template;
        Path dir = Files.createTempDirectory("tandem-pg-template-");
        if (isRoot()) run(List.of("chown", "-R", "postgres:postgres", dir.toString()), false);
        Path data = dir.resolve("data");
        run(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"), true);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> TestServers.deleteTree(dir), "tandem-pg-template-cleanup"));
        template = data;
        return data;
    }

    /** Skips the calling test unless the PostgreSQL server binaries are installed. */
    public static void assumeInstalled() {
        Assumptions.assumeTrue(binaries() != null, "PostgreSQL server binaries (initdb, pg_ctl) are not installed under /usr/lib/postgresql/*/bin:"
                + " apt-get install postgresql (.ci/run does)");
    }

    /** A new server of the test's own (for tests that stop and restart it). */
    public static PostgresServer startOwn() throws Exception {
        assumeInstalled();
        return new PostgresServer(binaries());
    }

    /** One server for the whole test run, stopped at JVM exit; tests take a database each. */
    public static synchronized PostgresServer shared() throws Exception {
        assumeInstalled();
        if (shared == null) shared = new PostgresServer(binaries());
        return shared;
    }

    /** The newest installed version's bin directory, or null. */
    static Path binaries() {
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) return null;
        try (var versions = Files.list(root)) {
            return versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("pg_ctl")))
                    .max(Comparator.comparing(b -> versionOf(b.getParent().getFileName().toString()))).orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    private static int versionOf(String name) {
        try {
            return Integer.parseInt(name);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    public int port() {
        return port;
    }

    /** A fresh, empty database (named {@code prefix} and a number) and where a store finds it. */
    public StoreLocation.Postgres newDatabase(String prefix) throws SQLException {
        String name = prefix.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9_]", "_") + "_" + databases.incrementAndGet();
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", "");
             Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        return new StoreLocation.Postgres("127.0.0.1", port, name, "postgres", null);
    }

    /** A JDBC connection to {@code location}'s database, to look at or tamper with it directly. */
    public static Connection connect(StoreLocation.Postgres location) throws SQLException {
        return DriverManager.getConnection(location.jdbcUrl(), location.user(), "");
    }

    /** Starts the server (after {@link #stop}); returns once it accepts connections. */
    public void start() throws IOException, InterruptedException {
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", data.resolve("server.log").toString(), "-w", "-t", "30",
                "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", "start"), true);
    }

    /**
     * Stops the server: {@code immediate} is a crash (no checkpoint; the server recovers from its
     * log at the next start), otherwise a clean shutdown that ends every session.
     */
    public void stop(boolean immediate) throws IOException, InterruptedException {
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", immediate ? "immediate" : "fast", "-w", "-t", "30", "stop"), true);
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
            if (Files.exists(data.resolve("postmaster.pid"))) stop(true);
        } catch (Exception e) {
            System.err.println("stopping the test PostgreSQL server failed: " + e);
        }
        TestServers.deleteTree(dir);
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** Runs a command (as postgres if asked and we are root), failing with its output if it fails or hangs. */
    private static void run(List<String> command, boolean asPostgres) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>();
        if (asPostgres && isRoot()) full.addAll(List.of("runuser", "-u", "postgres", "--"));
        full.addAll(command);
        Path out = Files.createTempFile("tandem-pg-cmd", ".log");
        try {
            Process p = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(STEP_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", full) + " did not finish within " + STEP_SECONDS + " s: " + Files.readString(out));
            }
            if (p.exitValue() != 0) throw new IOException(String.join(" ", full) + " exited with " + p.exitValue() + ": " + Files.readString(out));
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
