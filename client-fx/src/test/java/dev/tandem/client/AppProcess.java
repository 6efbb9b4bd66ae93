package dev.tandem.client;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A Tandem client in a process of its own: the test classpath, a fresh data directory given the
 * documented way (the {@code TANDEM_CLIENT_DATA} environment variable), headless Monocle. Either
 * plain {@link Main} or {@link AppHarness}, which also takes commands that drive it like a user.
 */
final class AppProcess implements AutoCloseable {
    static final long WAIT_SECONDS = 30;
    private static final String EXITED = "\u0000exited";

    private final Process process;
    private final PrintStream commands;
    private final BlockingQueue<String> replies = new LinkedBlockingQueue<>();
    private final StringBuffer output = new StringBuffer();

    private AppProcess(Process process) {
        this.process = process;
        this.commands = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    output.append(line).append('\n');
                    if (line.startsWith("harness: ")) replies.add(line.substring("harness: ".length()));
                }
            } catch (IOException e) {
                output.append("(output unreadable: ").append(e).append(")\n");
            } finally {
                replies.add(EXITED);
            }
        }, "app-process-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts the application driven by {@link AppHarness}, with these command-line arguments (none: the start screen). */
    static AppProcess harness(Path dataDir, String... args) throws IOException {
        return start(AppHarness.class.getName(), dataDir, args);
    }

    /** Starts the application's own entry point ({@link Main}) with these arguments. */
    static AppProcess main(Path dataDir, String... args) throws IOException {
        return start(Main.class.getName(), dataDir, args);
    }

    private static AppProcess start(String mainClass, Path dataDir, String... args) throws IOException {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classpath, "-Xmx256m", "-Djava.awt.headless=true",
                "-Dglass.platform=Monocle", "-Dmonocle.platform=Headless", "-Dprism.order=sw"));
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("TANDEM_CLIENT_DATA", dataDir.toString());
        env.put("TANDEM_HOST_BIND", "127.0.0.1"); // a hosted hub stays on loopback in tests
        // Belt and braces: whatever happens, never the real profile of whoever runs the tests.
        env.put("XDG_DATA_HOME", dataDir.resolveSibling(dataDir.getFileName() + "-xdg").toString());
        return new AppProcess(pb.start());
    }

    /** Sends one harness command and returns its answer (after "ok "); fails on an error or if the process exits. */
    String send(String command) throws InterruptedException {
        commands.println(command);
        String reply = replies.poll(WAIT_SECONDS + 5, TimeUnit.SECONDS);
        if (reply == null) throw new AssertionError("no answer to \"" + command + "\"; output so far:\n" + output);
        if (reply.equals(EXITED)) {
            replies.add(EXITED);
            throw new AssertionError("the application exited (status " + exitStatus() + ") before it could do \"" + command + "\"; output:\n" + output);
        }
        if (!reply.startsWith("ok")) throw new AssertionError("\"" + command + "\" failed: " + reply + "\noutput:\n" + output);
        return reply.substring(2).strip();
    }

    /** Sends one harness command that ends the application (so no answer may come). */
    void sendLast(String command) {
        commands.println(command);
    }

    /** Waits (bounded) for the process to end; its exit status. */
    int waitForExit() throws InterruptedException {
        if (!process.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)) throw new AssertionError("the application did not exit; output:\n" + output);
        return process.exitValue();
    }

    private String exitStatus() {
        try {
            return process.waitFor(5, TimeUnit.SECONDS) ? String.valueOf(process.exitValue()) : "still running";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    String output() {
        return output.toString();
    }

    @Override
    public void close() throws InterruptedException {
        commands.close();
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
