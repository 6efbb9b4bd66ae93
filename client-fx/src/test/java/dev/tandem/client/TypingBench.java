package dev.tandem.client;

import com.sun.javafx.perf.PerformanceTracker;
import dev.tandem.crdt.Anchor;
import dev.tandem.crdt.Bias;
import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Update;
import dev.tandem.hub.Hub;
import dev.tandem.hub.HubConfig;
import dev.tandem.sync.SyncClient;
import dev.tandem.sync.SyncConfig;
import dev.tandem.sync.SyncListener;
import javafx.application.Platform;
import javafx.stage.Stage;

import java.awt.Robot;
import java.awt.event.KeyEvent;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Keystroke-to-screen benchmark for the desktop client (docs/benchmarks.md, "Typing in the
 * desktop client"). Not a test: it prints figures and checks only that nothing was lost.
 *
 * <p>A real hub and a real room window (the app's default size) in this process, a headless
 * second participant whose cursor shows in the window, and a document of wrapped paragraphs.
 * Keys are real X key events sent through the X server (java.awt.Robot, XTest) at a fixed rate,
 * so they reach JavaFX exactly as a keyboard's do. For each character it records when the key
 * was sent, when a pulse first laid out an area that holds it, when that frame had been painted
 * (JavaFX's rendered-frame hook), and when the other participant received it from the hub.
 *
 * <p>Run under Xvfb (see docs/benchmarks.md for the command):
 * {@code TypingBench [--chars 600] [--rate 125] [--doc 20000] [--warmup 400]}.
 */
public final class TypingBench {
    private static final long WAIT_SECONDS = 60;

    public static void main(String[] args) throws Exception {
        int chars = intArg(args, "--chars", 600);
        int rate = intArg(args, "--rate", 125);
        int docChars = intArg(args, "--doc", 20_000);
        int warmup = intArg(args, "--warmup", 400);
        int marks = intArg(args, "--marks", 0);

        Path tmp = Files.createTempDirectory("tandem-typing");
        Hub hub = Hub.start(HubConfig.defaults(tmp.resolve("hub")).withPort(0).withSecurity(dev.tandem.hub.HubSecurity.none()));
        URI server = URI.create("ws://127.0.0.1:" + hub.port());
        RoomAddress room = new RoomAddress(server, "typing");
        ExecutorService io = Executors.newSingleThreadExecutor();
        CompletableFuture<RoomSession> opened = new CompletableFuture<>();
        Platform.startup(() -> RoomSession.open(new Stage(), room, room, new RoomSession.Identity("Ada", "#1f77b4"),
                tmp.resolve("ada"), io, new UiTesting.NoActions()).whenComplete((s, e) -> {
                    if (e != null) opened.completeExceptionally(e);
                    else opened.complete(s);
                }));
        RoomSession ada = opened.get(WAIT_SECONDS, TimeUnit.SECONDS);
        Probe probe = fx(() -> new Probe(ada));
        fx(() -> {
            ada.window.stage.setX(0);
            ada.window.stage.setY(0);
            ada.window.stage.show();
            ada.window.area.replaceText(prose(docChars));
            formatEvenly(ada.window.binding, marks);
            ada.window.area.moveTo(ada.window.area.getLength());
            ada.window.area.requestFollowCaret();
            return null;
        });
        waitFx("everything is sent", () -> ada.window.status.unsentTextProperty().get().equals("All changes sent"));

        // The other participant: its cursor in the paragraph being typed into, as a second user's would be.
        long adaReplica = fx(() -> ada.window.binding.doc().replicaId());
        AtomicInteger received = new AtomicInteger(); // Ada's characters the peer has, from the hub
        ConcurrentLinkedQueue<long[]> arrivals = new ConcurrentLinkedQueue<>(); // {nanoTime, count}
        SyncClient grace = SyncClient.start(SyncConfig.builder(server, "typing", new Doc()).user("Grace", "#d62728").build(),
                new SyncListener() {
                    @Override public void onRemoteUpdate(Update update) {
                        int n = update.version().inserts(adaReplica);
                        if (n > received.get()) {
                            received.set(n);
                            arrivals.add(new long[] {System.nanoTime(), n});
                        }
                    }
                });
        grace.synced().get(WAIT_SECONDS, TimeUnit.SECONDS);
        Anchor[] graceAt = new Anchor[1];
        grace.edit(d -> {
            graceAt[0] = d.anchor(Math.max(0, d.length() - 200), Bias.LEFT);
            return null;
        }).get(WAIT_SECONDS, TimeUnit.SECONDS);
        grace.setPresence(graceAt[0], null, false, false);
        waitFx("Grace's cursor shows", () -> ada.window.cursors.count() == 1);

        Robot robot = new Robot();
        // No window manager under Xvfb: the keyboard goes to the window under the pointer.
        robot.mouseMove(300, 300);
        fx(() -> {
            ada.window.stage.requestFocus();
            ada.window.area.requestFocus();
            return null;
        });
        waitFx("the editor has the focus", () -> ada.window.area.isFocused() && ada.window.stage.isFocused());

        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long fxThread = fx(() -> Thread.currentThread().getId());
        int start = fx(() -> ada.window.area.getLength());
        burst(robot, "warm ", warmup, rate);
        int base = start + warmup;
        waitTyped(ada, probe, received, base);
        probe.reset();
        arrivals.clear();
        long cpuBefore = threads.getThreadCpuTime(fxThread);
        long[] sent = burst(robot, "", chars, rate);
        waitTyped(ada, probe, received, base + chars);
        long fxCpu = threads.getThreadCpuTime(fxThread) - cpuBefore;

        long[] local = new long[chars];
        long[] remote = new long[chars];
        int baseReceived = received.get() - chars;
        for (int i = 0; i < chars; i++) {
            local[i] = probe.shownAt(base + i + 1) - sent[i];
            remote[i] = arrivedAt(arrivals, baseReceived + i + 1) - sent[i];
        }
        int localLater = 0;
        for (int i = 0; i < chars; i++) if (local[i] > remote[i]) localLater++;
        String text = fx(() -> ada.window.area.getText());
        boolean same = text.equals(fx(ada::text)) && text.equals(grace.text().get(WAIT_SECONDS, TimeUnit.SECONDS));

        System.out.printf(Locale.ROOT, "typing bench: %d keys at %d/s into a %,d-char document, 1 remote cursor, %s%n",
                chars, rate, docChars, System.getProperty("java.vm.version"));
        System.out.println("  key sent -> frame painted in the typist's window: " + summary(local));
        System.out.println("  key sent -> received by the other participant:    " + summary(remote));
        System.out.printf(Locale.ROOT, "  characters the other participant had before the typist's screen showed them: %d of %d%n", localLater, chars);
        System.out.printf(Locale.ROOT, "  FX thread CPU per key: %.2f ms; frames painted: %d%n", fxCpu / 1e6 / chars, probe.frames());
        System.out.println("  all text identical (area, UI replica, other participant): " + same);

        grace.close();
        fx(ada::close).get(WAIT_SECONDS, TimeUnit.SECONDS);
        Platform.exit();
        hub.close();
        io.shutdown();
        System.exit(same ? 0 : 1);
    }

    /** Sends {@code n} key presses at {@code rate} per second; returns when each was sent (nanoTime). */
    private static long[] burst(Robot robot, String prefix, int n, int rate) {
        String text = (prefix + prose(n + 64)).toLowerCase(Locale.ROOT).replaceAll("[^a-z ]", " ");
        long[] sent = new long[n];
        long interval = 1_000_000_000L / rate;
        long next = System.nanoTime();
        for (int i = 0; i < n; i++) {
            while (System.nanoTime() < next) LockSupport.parkNanos(next - System.nanoTime());
            char c = text.charAt(i);
            int code = c == ' ' ? KeyEvent.VK_SPACE : KeyEvent.VK_A + (c - 'a');
            sent[i] = System.nanoTime();
            robot.keyPress(code);
            robot.keyRelease(code);
            next += interval;
        }
        return sent;
    }

    /** Waits until a frame showed {@code target} characters, the hub has them, and so has the peer. */
    private static void waitTyped(RoomSession ada, Probe probe, AtomicInteger received, int target) throws Exception {
        waitFx("all keys arrived", () -> ada.window.area.getLength() >= target && probe.shownAt(target) > 0);
        waitFx("all sent", () -> ada.window.status.unsentTextProperty().get().equals("All changes sent"));
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        int expected = fx(() -> ada.window.binding.doc().version().inserts(ada.window.binding.doc().replicaId()));
        while (received.get() < expected) {
            if (System.nanoTime() > until) throw new IllegalStateException("the peer never got everything");
            Thread.sleep(10);
        }
    }

    /** Records, on the FX thread, when each area length was first laid out, and (render thread) when frames were painted. */
    private static final class Probe {
        private final RoomSession ada;
        private final ConcurrentLinkedQueue<Long> painted = new ConcurrentLinkedQueue<>();
        private long[] laidOutAt = new long[0]; // index: area length; FX thread
        private int lastLength = -1;
        private volatile int frames;

        Probe(RoomSession ada) {
            this.ada = ada;
            ada.window.stage.getScene().addPostLayoutPulseListener(this::afterLayout);
            PerformanceTracker.getSceneTracker(ada.window.stage.getScene()).setOnRenderedFrameTask(() -> {
                painted.add(System.nanoTime());
                frames++;
            });
        }

        private void afterLayout() {
            int len = ada.window.area.getLength();
            if (len >= laidOutAt.length) laidOutAt = Arrays.copyOf(laidOutAt, Math.max(len + 1, laidOutAt.length * 2));
            if (len > lastLength) {
                long now = System.nanoTime();
                for (int i = Math.max(0, lastLength + 1); i <= len; i++) if (laidOutAt[i] == 0) laidOutAt[i] = now;
            }
            lastLength = len;
        }

        /** When the first frame showing an area of at least {@code length} characters was painted, or 0. */
        long shownAt(int length) {
            long laid = length < laidOutAt.length ? laidOutAt[length] : 0;
            if (laid == 0) return 0;
            for (long p : painted) if (p >= laid) return p;
            return 0;
        }

        void reset() {
            painted.clear();
            frames = 0;
        }

        int frames() {
            return frames;
        }
    }

    private static long arrivedAt(ConcurrentLinkedQueue<long[]> arrivals, int count) {
        for (long[] a : arrivals) if (a[1] >= count) return a[0];
        throw new IllegalStateException("character " + count + " never arrived");
    }

    private static String summary(long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        return String.format(Locale.ROOT, "p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms",
                s[s.length / 2] / 1e6, s[(int) (s.length * 0.9)] / 1e6, s[(int) (s.length * 0.99)] / 1e6, s[s.length - 1] / 1e6);
    }

    /** Paragraphs of 400-900 characters: long enough to wrap over several lines. */
    /**
     * Puts {@code n} marks (bold, italic, underline, code, link in turn) on 6-character ranges spread
     * evenly over the document, makes every 4th paragraph a list item and the first a heading, and
     * leaves the end of the document bold: keystrokes then go through the formatted path (the crdt's
     * growing bold, restyling the typed range).
     */
    static void formatEvenly(EditorBinding binding, int n) {
        if (n <= 0) return;
        var doc = binding.doc();
        int length = doc.length();
        String[] keys = {dev.tandem.crdt.Formats.BOLD, dev.tandem.crdt.Formats.ITALIC, dev.tandem.crdt.Formats.UNDERLINE,
                dev.tandem.crdt.Formats.CODE, dev.tandem.crdt.Formats.LINK};
        int step = Math.max(8, length / n);
        for (int i = 0, at = 0; i < n && at + 6 < length; i++, at += step) {
            String key = keys[i % keys.length];
            binding.mark(at, at + 6, key, key.equals(dev.tandem.crdt.Formats.LINK) ? "https://example.org/" + i : "true");
        }
        binding.mark(Math.max(0, length - 50), length, dev.tandem.crdt.Formats.BOLD, "true");
        String text = doc.text();
        int paragraph = 0;
        for (int at = 0; at >= 0 && at <= length; paragraph++) {
            if (paragraph == 0) binding.setParagraph(at, dev.tandem.crdt.Formats.BLOCK, "h1");
            else if (paragraph % 4 == 0) binding.setParagraph(at, dev.tandem.crdt.Formats.BLOCK, "bullet");
            int nl = text.indexOf('\n', at);
            at = nl < 0 ? -1 : nl + 1;
        }
    }

    static String prose(int n) {
        String words = "the quick brown fox jumps over the lazy dog while five wizards box and a sphinx of black quartz judges my vow ";
        StringBuilder b = new StringBuilder(n);
        java.util.Random r = new java.util.Random(7);
        int paragraph = 0;
        while (b.length() < n) {
            b.append(words, r.nextInt(20), words.length());
            paragraph += words.length();
            if (paragraph > 400 + r.nextInt(500)) {
                b.setLength(b.length() - 1);
                b.append('\n');
                paragraph = 0;
            }
        }
        b.setLength(n);
        return b.toString();
    }

    private static <T> T fx(java.util.concurrent.Callable<T> c) throws Exception {
        return UiTesting.fx(c, WAIT_SECONDS);
    }

    private static void waitFx(String what, Callable<Boolean> condition) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!fx(condition)) {
            if (System.nanoTime() > until) throw new IllegalStateException("timed out waiting until " + what);
            Thread.sleep(20);
        }
    }

    private static int intArg(String[] args, String name, int fallback) {
        for (int i = 0; i + 1 < args.length; i++) if (args[i].equals(name)) return Integer.parseInt(args[i + 1]);
        return fallback;
    }
}
