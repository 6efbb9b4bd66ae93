package dev.tandem.sync;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The product's version: the Maven project version, written into {@code tandem-version.properties}
 * by resource filtering at build time. The hub and the client print it for {@code --version}, the
 * client's About box shows it. One module holds it because the client depends on this one and
 * every module of the build has the same version.
 */
public final class TandemVersion {
    private static final String VERSION = load();

    private TandemVersion() {}

    /** The version this build was made from, e.g. {@code 0.1.0-SNAPSHOT}. */
    public static String get() {
        return VERSION;
    }

    private static String load() {
        try (InputStream in = TandemVersion.class.getResourceAsStream("tandem-version.properties")) {
            if (in == null) throw new IllegalStateException("tandem-version.properties is missing from the build");
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "");
            // An unfiltered file (a build that skipped resource filtering) must not pass for a version.
            if (v.isBlank() || v.contains("${")) throw new IllegalStateException("tandem-version.properties was not filled in: " + v);
            return v;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
