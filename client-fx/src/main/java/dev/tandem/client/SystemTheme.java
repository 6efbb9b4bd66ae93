package dev.tandem.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Whether the operating system is set to a dark appearance. JavaFX 21 cannot say
 * ({@code Platform.Preferences} arrived in 22), so this asks the system's own tools:
 * <ul>
 *   <li>Linux (GNOME and desktops that follow its settings):
 *       {@code gsettings get org.gnome.desktop.interface color-scheme} ({@code 'prefer-dark'}),
 *       else a GTK theme whose name contains "dark" ({@code gtk-theme}, e.g. {@code 'Adwaita-dark'});</li>
 *   <li>macOS: {@code defaults read -g AppleInterfaceStyle} prints {@code Dark} (and fails when light);</li>
 *   <li>Windows: {@code AppsUseLightTheme} under {@code HKCU\...\Themes\Personalize} is {@code 0x0}.</li>
 * </ul>
 * Each command gets {@link #TIMEOUT}; anything unexpected (no such tool, a timeout, output it
 * does not recognise) means light. The output is untrusted text: only its first {@link #MAX_OUTPUT}
 * bytes are read.
 *
 * <p>Blocking: call it off the FX thread. Stateless; any thread.
 */
final class SystemTheme {
    static final Duration TIMEOUT = Duration.ofMillis(1500);
    static final int MAX_OUTPUT = 4096;

    /** Runs a command; the output, or empty when it could not run, failed or timed out. */
    interface Runner {
        Optional<String> run(List<String> command);
    }

    private SystemTheme() {}

    /** The system's setting on this computer (blocking, at most a few {@link #TIMEOUT}s). */
    static boolean prefersDark() {
        return prefersDark(System.getProperty("os.name", ""), command -> run(command, TIMEOUT));
    }

    static boolean prefersDark(String osName, Runner runner) {
        String os = osName.toLowerCase(Locale.ROOT);
        if (os.contains("mac") || os.contains("darwin")) {
            return runner.run(List.of("defaults", "read", "-g", "AppleInterfaceStyle")).map(SystemTheme::macIsDark).orElse(false);
        }
        if (os.contains("windows")) {
            return runner.run(List.of("reg", "query", "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Themes\\Personalize",
                    "/v", "AppsUseLightTheme")).flatMap(SystemTheme::windowsIsDark).orElse(false);
        }
        Optional<Boolean> scheme = runner.run(List.of("gsettings", "get", "org.gnome.desktop.interface", "color-scheme"))
                .flatMap(SystemTheme::gnomeColorSchemeIsDark);
        if (scheme.isPresent()) return scheme.get();
        return runner.run(List.of("gsettings", "get", "org.gnome.desktop.interface", "gtk-theme"))
                .map(SystemTheme::gtkThemeIsDark).orElse(false);
    }

    /**
     * GNOME's {@code color-scheme}: {@code 'prefer-dark'} is dark, {@code 'prefer-light'} light;
     * {@code 'default'} (or anything else) says nothing, so the GTK theme decides.
     */
    static Optional<Boolean> gnomeColorSchemeIsDark(String output) {
        String value = unquote(output);
        if (value.equals("prefer-dark")) return Optional.of(true);
        if (value.equals("prefer-light")) return Optional.of(false);
        return Optional.empty();
    }

    /** A GTK theme name such as {@code 'Adwaita-dark'} or {@code 'Yaru-dark'}. */
    static boolean gtkThemeIsDark(String output) {
        String value = unquote(output);
        return value.length() <= 200 && value.toLowerCase(Locale.ROOT).contains("dark");
    }

    /** {@code defaults read -g AppleInterfaceStyle}: {@code Dark} when dark; the key is absent when light. */
    static boolean macIsDark(String output) {
        return output.strip().equalsIgnoreCase("dark");
    }

    /**
     * {@code reg query}'s answer, e.g. {@code "    AppsUseLightTheme    REG_DWORD    0x0"}: 0 is dark,
     * any other number light; no such line says nothing.
     */
    static Optional<Boolean> windowsIsDark(String output) {
        for (String line : output.split("\\R")) {
            String[] parts = line.strip().split("\\s+");
            if (parts.length == 3 && parts[0].equalsIgnoreCase("AppsUseLightTheme") && parts[1].equalsIgnoreCase("REG_DWORD")) {
                String v = parts[2].toLowerCase(Locale.ROOT);
                if (!v.startsWith("0x") || v.length() < 3 || v.length() > 10) return Optional.empty();
                try {
                    return Optional.of(Long.parseLong(v.substring(2), 16) == 0);
                } catch (NumberFormatException e) {
                    return Optional.empty();
                }
            }
        }
        return Optional.empty();
    }

    /** gsettings prints strings quoted: {@code 'prefer-dark'}. */
    private static String unquote(String output) {
        String v = output.strip();
        if (v.length() >= 2 && v.startsWith("'") && v.endsWith("'")) v = v.substring(1, v.length() - 1);
        return v;
    }

    /**
     * Runs {@code command} with its output read on this thread (at most {@link #MAX_OUTPUT} bytes)
     * and the process killed after {@code timeout}; empty unless it exits 0 in time.
     */
    static Optional<String> run(List<String> command, Duration timeout) {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(nullFile())).start();
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // no such program here
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        // Reading could block past the deadline on a program that keeps its output open: the reader is a daemon thread.
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> {
            try (InputStream in = p.getInputStream()) {
                byte[] buf = new byte[512];
                for (int n; (n = in.read(buf)) > 0; ) {
                    synchronized (out) {
                        out.write(buf, 0, Math.min(n, Math.max(0, MAX_OUTPUT - out.size())));
                    }
                }
            } catch (IOException e) {
                // the process was killed: what was read so far is ignored anyway
            }
        }, "tandem-theme-probe");
        reader.setDaemon(true);
        reader.start();
        try {
            if (!p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                p.destroyForcibly();
                return Optional.empty();
            }
            reader.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
        if (p.exitValue() != 0) return Optional.empty();
        synchronized (out) {
            return Optional.of(out.toString(StandardCharsets.UTF_8));
        }
    }

    private static java.io.File nullFile() {
        return new java.io.File(System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("windows") ? "NUL" : "/dev/null");
    }
}
