package dev.tandem.hub.store;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

/** What the throwaway servers of the tests (PostgreSQL, Redis, hub processes) share: a loopback port, a directory to delete. */
public final class TestServers {
    private TestServers() {}

    /** A loopback port free right now (the caller binds it soon after). */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Deletes {@code dir} and everything under it; a failure is reported, not thrown (clean-up must not hide a test's result). */
    static void deleteTree(Path dir) {
        try (var all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("deleting " + dir + " failed: " + e);
        }
    }
}
