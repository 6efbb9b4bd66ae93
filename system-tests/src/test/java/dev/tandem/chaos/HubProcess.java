package dev.tandem.chaos;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The hub as a real child process: {@code java -cp <this JVM's class path> dev.tandem.hub.HubMain
 * serve --port 0 --data DIR}, restartable on the same data directory. The port is read from the
 * line {@code tandem-hub listening on ws://HOST:PORT} it prints. Its output goes to {@code hub.log}.
 *
 * <p>Threads: start/kill/stop are synchronized; one reader thread per process drains its output.
 */
final class HubProcess implements AutoCloseable {
    /** HubMain's machine-readable stdout line "tandem-hub listening on ws://HOST:PORT" (or its log line). */
    private static final Pattern LISTENING = Pattern.compile("hub listening on (?:ws://)?[^ ,]*:(\\d+)");

    private final Path dataDir;
    private final Path logFile;
    private final List<String> extraArgs;
    private final Deque<String> lastLines = new ArrayDeque<>();
    private final Thread killer;
    private Process process;
    private Thread reader;
    private volatile int port = -1;
    /** Written under this object's lock, read by any thread. */
    private volatile int starts;
    private final int fixedPort;

    HubProcess(Path dataDir, Path logFile, List<String> extraArgs) {
        this(dataDir, logFile, 0, extraArgs);
    }

    /** @param fixedPort the port to listen on at every start (clients keep its address), 0 for a new one each time */
    HubProcess(Path dataDir, Path logFile, int fixedPort, List<String> extraArgs) {
        this.fixedPort = fixedPort;
        this.dataDir = dataDir;
        this.logFile = logFile;
        this.extraArgs = List.copyOf(extraArgs);
        // If the test JVM dies without running its finally blocks, the hub must not outlive it.
        this.killer = new Thread(() -> {
            Process p = process;
            if (p != null) p.destroyForcibly();
        }, "hub-killer");
        Runtime.getRuntime().addShutdownHook(killer);
    }

    /** Starts the hub and waits until it listens; returns its port. */
    synchronized int start() throws IOException, InterruptedException {
        if (process != null && process.isAlive()) throw new IllegalStateException("hub already running");
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"),
                "dev.tandem.hub.HubMain", "serve", "--host", "127.0.0.1", "--port", Integer.toString(fixedPort), "--data", dataDir.toString()));
        cmd.addAll(extraArgs);
        starts++;
        port = -1;
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        process = p;
        CompletableFuture<Integer> listening = new CompletableFuture<>();
        int run = starts;
        reader = new Thread(() -> drain(p, run, listening), "hub-output-" + run);
        reader.setDaemon(true);
        reader.start();
        try {
            int bound = listening.get(60, TimeUnit.SECONDS);
            port = bound;
            return bound;
        } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
            p.destroyForcibly();
            throw new IOException("hub did not start (" + (p.isAlive() ? "no listening line in 60 s" : "exit " + p.waitFor())
                    + "); last output:\n" + String.join("\n", lastLines()), e);
        }
    }

    private void drain(Process p, int run, CompletableFuture<Integer> listening) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter out = new PrintWriter(Files.newBufferedWriter(logFile, StandardCharsets.UTF_8,
                     StandardOpenOption.CREATE, StandardOpenOption.APPEND), true)) {
            out.println("==== hub run " + run + " ====");
            String line;
            while ((line = in.readLine()) != null) {
                out.println(line);
                synchronized (lastLines) {
                    lastLines.addLast(line);
                    if (lastLines.size() > 40) lastLines.removeFirst();
                }
                Matcher m = LISTENING.matcher(line);
                if (!listening.isDone() && m.find()) listening.complete(Integer.parseInt(m.group(1)));
            }
            out.println("==== hub run " + run + " ended ====");
        } catch (IOException e) {
            // the process died; its exit is handled by whoever killed it
        }
        listening.completeExceptionally(new IOException("hub output ended"));
    }

    List<String> lastLines() {
        synchronized (lastLines) {
            return List.copyOf(lastLines);
        }
    }

    /** The port of the running hub, or -1 while it is down (set to -1 before the hub is stopped or killed). */
    int port() {
        return port;
    }

    /** How often the hub was started: a change means it was restarted meanwhile. */
    int starts() {
        return starts;
    }

    /** SIGKILL: no shutdown hook, no flush, no goodbye. */
    synchronized void kill() throws InterruptedException {
        port = -1;
        Process p = process;
        if (p == null) return;
        p.destroyForcibly();
        if (!p.waitFor(20, TimeUnit.SECONDS)) throw new IllegalStateException("hub survived SIGKILL for 20 s");
        reader.join(5000);
    }

    /**
     * SIGTERM: the hub closes sessions with 1001, flushes and exits. Falls back to SIGKILL after
     * 20 s. Returns the exit status (0 after a clean stop), or -1 if no hub was running.
     */
    synchronized int stop() throws InterruptedException {
        port = -1;
        Process p = process;
        if (p == null) return -1;
        // Through the handle: Process.destroy() also closes our end of its output pipe, and
        // what the hub logs while it stops would be lost from hub.log.
        p.toHandle().destroy();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        reader.join(5000);
        return p.exitValue();
    }

    synchronized boolean alive() {
        return process != null && process.isAlive();
    }

    @Override
    public synchronized void close() {
        try {
            kill();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (process != null) process.destroyForcibly();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(killer);
        } catch (IllegalStateException e) {
            // already shutting down
        }
    }
}
