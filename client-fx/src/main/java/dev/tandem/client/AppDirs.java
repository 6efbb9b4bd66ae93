package dev.tandem.client;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Where the client keeps its settings, room replicas and the embedded hub's store (its profile):
 * the platform's usual per-user data directory, unless {@code --data DIR} or the environment
 * variable {@code TANDEM_CLIENT_DATA} (an absolute path) points elsewhere.
 *
 * <ul>
 *   <li>Linux and other Unix: {@code $XDG_DATA_HOME/tandem}, default {@code ~/.local/share/tandem}</li>
 *   <li>macOS: {@code ~/Library/Application Support/Tandem}</li>
 *   <li>Windows: {@code %LOCALAPPDATA%\Tandem}, else {@code %APPDATA%\Tandem}</li>
 * </ul>
 */
final class AppDirs {
    /** Environment variable naming the data directory: the profile, without a command-line option. */
    static final String ENV = "TANDEM_CLIENT_DATA";

    private AppDirs() {}

    static Path defaultDataDir() {
        return defaultDataDir(System.getProperty("os.name", ""), System.getenv(), Path.of(System.getProperty("user.home", ".")));
    }

    static Path defaultDataDir(String osName, Map<String, String> env, Path home) {
        String own = env.get(ENV);
        if (own != null && !own.isBlank() && Path.of(own).isAbsolute()) return Path.of(own);
        String os = osName.toLowerCase(Locale.ROOT);
        if (os.startsWith("windows")) {
            String base = nonBlank(env.get("LOCALAPPDATA"), env.get("APPDATA"));
            return (base != null ? Path.of(base) : home.resolve("AppData").resolve("Local")).resolve("Tandem");
        }
        if (os.startsWith("mac")) {
            return home.resolve("Library").resolve("Application Support").resolve("Tandem");
        }
        String xdg = env.get("XDG_DATA_HOME");
        // The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) return Path.of(xdg).resolve("tandem");
        return home.resolve(".local").resolve("share").resolve("tandem");
    }

    private static String nonBlank(String a, String b) {
        if (a != null && !a.isBlank()) return a;
        if (b != null && !b.isBlank()) return b;
        return null;
    }
}
