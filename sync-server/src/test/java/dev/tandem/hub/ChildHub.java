package dev.tandem.hub;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code tandem-hub serve} as a real child process ({@code java -cp <this JVM's class path>}),
 * its stdout and stderr collected line by line. Threads: one reader thread per process.
 */
final class ChildHub implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("^tandem-hub listening on wss?://[^:]+:(\\d+)$");

    final Process process;
    private final List<String> output = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Integer> port = new CompletableFuture<>();
    private final Thread reader;

    private ChildHub(Process process) {
        this.process = process;
        this.reader = new Thread(this::drain, "child-hub-output");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code serve --port 0 --data DIR} plus {@code args} (plus {@code --auth none} unless
     * {@code args} name an --auth); does not wait for it to listen.
     */
    static ChildHub start(Path dataDir, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                HubMain.class.getName(), "serve", "--port", "0", "--data", dataDir.toString()));
        cmd.addAll(List.of(args));
        if (!List.of(args).contains("--auth")) cmd.addAll(List.of("--auth", "none"));
        return new ChildHub(new ProcessBuilder(cmd).redirectErrorStream(true).start());
    }

    /** The port, once the hub printed its listening line; fails if it exits first. */
    int awaitListening() throws Exception {
        try {
            return port.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("hub did not start; output:\n" + String.join("\n", output), e);
        }
    }

    /** Waits for the exit (bounded), then for the last of its output. */
    int awaitExit(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) throw new AssertionError("hub still running after " + seconds + " s; output:\n" + output());
        reader.join(10_000);
        return process.exitValue();
    }

    /**
     * SIGTERM. Not {@code process.destroy()}: that also closes this side of the child's output
     * pipe, so whatever the hub logs while it stops would be lost.
     */
    void sigterm() {
        process.toHandle().destroy();
    }

    String output() {
        return String.join("\n", output);
    }

    private void drain() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                output.add(line);
                Matcher m = LISTENING.matcher(line);
                if (m.matches()) port.complete(Integer.parseInt(m.group(1)));
            }
        } catch (IOException e) {
            // the process is gone
        }
        port.completeExceptionally(new IOException("the hub's output ended"));
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
