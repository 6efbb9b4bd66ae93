package dev.tandem.hub;

import dev.tandem.crdt.Doc;
import dev.tandem.sync.SyncClient;
import dev.tandem.sync.SyncConfig;
import dev.tandem.sync.SyncListener;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.fail;

/** Shared helpers: hubs on ephemeral loopback ports, sync clients, polling with a deadline. */
final class TestHubs {
    private TestHubs() {}

    static HubConfig config(Path dir) {
        return HubConfig.defaults(dir).withPort(0).withTimeouts(Duration.ofSeconds(15), Duration.ofSeconds(30), Duration.ofSeconds(3));
    }

    static Hub start(Path dir) throws Exception {
        return Hub.start(config(dir));
    }

    static URI uri(Hub hub) {
        return URI.create("ws://127.0.0.1:" + hub.port());
    }

    static SyncClient client(Hub hub, String room, Doc doc, SyncListener listener) {
        return SyncClient.start(SyncConfig.builder(uri(hub), room, doc).user("tester", "#336699")
                .backoff(Duration.ofMillis(50), Duration.ofMillis(500)).coalesce(Duration.ofMillis(5)).build(), listener);
    }

    static SyncClient client(Hub hub, String room) {
        return client(hub, room, new Doc(), null);
    }

    static String text(SyncClient c) throws Exception {
        return c.text().get(10, TimeUnit.SECONDS);
    }

    static void awaitTrue(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("timed out waiting until " + what);
            Thread.sleep(10);
        }
    }

    static void awaitText(SyncClient c, String expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.getLong("tandem.test.wait", 20));
        String last = null;
        while (System.nanoTime() < deadline) {
            last = text(c);
            if (expected.equals(last)) return;
            Thread.sleep(10);
        }
        fail("text never became \"" + clip(expected) + "\"; last seen \"" + clip(last) + "\"");
    }

    static String clip(String s) {
        return s == null || s.length() < 200 ? s : s.substring(0, 100) + "...(" + s.length() + " chars)..." + s.substring(s.length() - 100);
    }

    /** A text both clients agree on, waiting up to 20 s. */
    static String awaitSame(SyncClient a, SyncClient b) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        String ta = null;
        String tb = null;
        while (System.nanoTime() < deadline) {
            ta = text(a);
            tb = text(b);
            if (ta.equals(tb) && a.version().get().equals(b.version().get())) return ta;
            Thread.sleep(10);
        }
        fail("clients did not converge: \"" + ta + "\" vs \"" + tb + "\"");
        return null;
    }

    static void sync(SyncClient c) throws Exception {
        c.synced().get(20, TimeUnit.SECONDS);
    }
}
