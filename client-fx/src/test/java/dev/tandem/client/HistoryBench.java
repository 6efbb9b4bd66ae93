package dev.tandem.client;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Formats;
import dev.tandem.crdt.Version;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Supplier;

/**
 * What the history panel costs the FX thread on a big document (docs/benchmarks.md, "History").
 * Not a test: it prints figures. No window: the panel's work is reading the replica
 * ({@code textAt}, {@code runsAt}, {@code diff}, {@code sessions}) and building the viewer's
 * content, all of which happen before anything is shown.
 *
 * <p>The document: {@code --chars} (100,000) characters written by two replicas in 50-character
 * pieces at random places, 2,000 deletions of up to 10 characters, 2,000 marks and 200 list
 * paragraphs; the version shown is the one halfway through.
 * {@code HistoryBench [--chars 100000] [--rounds 20]}
 */
public final class HistoryBench {
    public static void main(String[] args) throws Exception {
        int chars = intArg(args, "--chars", 100_000);
        int rounds = intArg(args, "--rounds", 20);
        Random random = new Random(11);
        Doc ada = new Doc(0xada);
        Doc bob = new Doc(0xb0b);
        String prose = TypingBench.prose(chars);
        Version half = null;
        for (int at = 0, piece = 0; at < prose.length(); at += 50, piece++) {
            Doc who = piece % 2 == 0 ? ada : bob;
            Doc other = who == ada ? bob : ada;
            String s = prose.substring(at, Math.min(prose.length(), at + 50));
            var u = who.insert(random.nextInt(who.length() + 1), s);
            other.apply(u);
            if (piece % 2 == 0 && who.length() > 20) {
                int from = random.nextInt(who.length() - 10);
                other.apply(who.delete(from, 1 + random.nextInt(10)));
            }
            if (piece % 2 == 1 && who.length() > 20) {
                int from = random.nextInt(who.length() - 10);
                other.apply(who.mark(from, from + 8, Formats.BOLD, "true"));
            }
            if (piece % 20 == 0) {
                int p = random.nextInt(who.length());
                other.apply(who.setParagraph(p, Formats.BLOCK, "bullet"));
            }
            if (half == null && at >= prose.length() / 2) half = ada.version();
        }
        Version then = half;
        Version before = Version.EMPTY; // the oldest entry: everything it holds is "inserted"
        AuthorNames names = new AuthorNames();
        HistoryViewModel.Entry entry = new HistoryViewModel.Entry("p", "Ada", "#1f77b4", java.time.Instant.now(), java.time.Instant.now(),
                0, 0, then, before, null);
        System.out.printf(Locale.ROOT, "document: %,d characters now, %,d then; %,d changes since then%n",
                ada.length(), ada.textAt(then).length(), ada.diff(then, ada.version()).size());
        report("textAt(then)", rounds, () -> ada.textAt(then));
        report("runsAt(then)", rounds, () -> ada.runsAt(then));
        report("paragraphsAt(then)", rounds, () -> ada.paragraphsAt(then));
        report("diff(empty, then)", rounds, () -> ada.diff(before, then));
        report("sessions(5 min)", rounds, () -> ada.sessions(Duration.ofMinutes(5)));
        report("viewer content (past)", rounds, () -> HistoryViewModel.past(ada, entry, names));
        report("show authors (tints)", rounds, () -> HistoryViewModel.authorship(ada, ada.version(), names));
        if (List.of(args).contains("--no-fx")) return;

        // What stays on the FX thread: showing a computed past version, laying the authors'
        // tints over the live text, and a restore (edits through the UI replica's undo manager).
        System.setProperty("glass.platform", "Monocle");
        System.setProperty("monocle.platform", "Headless");
        System.setProperty("prism.order", "sw");
        java.util.concurrent.CompletableFuture<Void> started = new java.util.concurrent.CompletableFuture<>();
        javafx.application.Platform.startup(() -> started.complete(null));
        started.get(30, java.util.concurrent.TimeUnit.SECONDS);
        byte[] saved = ada.encode();
        HistoryViewModel.Past past = HistoryViewModel.past(ada, entry, names);
        HistoryViewModel.Authorship authors = HistoryViewModel.authorship(ada, ada.version(), names);
        double[] shown = new double[rounds], tinted = new double[rounds], restored = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            final int round = r;
            Doc doc = Doc.decode(saved);
            var content = TextStyles.document(doc);
            fx(() -> {
                org.fxmisc.richtext.StyleClassedTextArea area = new org.fxmisc.richtext.StyleClassedTextArea();
                EditorBinding binding = new EditorBinding(area, doc, content, null, u -> { });
                org.fxmisc.richtext.StyleClassedTextArea viewer = new org.fxmisc.richtext.StyleClassedTextArea();
                long t = System.nanoTime();
                viewer.replace(0, 0, past.document());
                shown[round] = (System.nanoTime() - t) / 1e6;
                t = System.nanoTime();
                binding.tint(authors.tints());
                tinted[round] = (System.nanoTime() - t) / 1e6;
                t = System.nanoTime();
                binding.restore(then);
                restored[round] = (System.nanoTime() - t) / 1e6;
                binding.dispose();
                return null;
            });
        }
        print("FX: show a past version", shown);
        print("FX: lay authors' tints", tinted);
        print("FX: restore (edits + patch)", restored);
        javafx.application.Platform.exit();
    }

    private static void print(String what, double[] ms) {
        double[] s = ms.clone();
        Arrays.sort(s);
        System.out.printf(Locale.ROOT, "%-24s median %6.2f ms, max %6.2f ms%n", what, s[s.length / 2], s[s.length - 1]);
    }

    private static <T> T fx(java.util.concurrent.Callable<T> c) throws Exception {
        java.util.concurrent.CompletableFuture<T> f = new java.util.concurrent.CompletableFuture<>();
        javafx.application.Platform.runLater(() -> {
            try {
                f.complete(c.call());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        return f.get(600, java.util.concurrent.TimeUnit.SECONDS);
    }

    private static void report(String what, int rounds, Supplier<?> work) {
        for (int i = 0; i < 5; i++) work.get(); // warm
        double[] ms = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            long t = System.nanoTime();
            work.get();
            ms[i] = (System.nanoTime() - t) / 1e6;
        }
        Arrays.sort(ms);
        System.out.printf(Locale.ROOT, "%-24s median %6.2f ms, max %6.2f ms%n", what, ms[rounds / 2], ms[rounds - 1]);
    }

    private static int intArg(String[] args, String name, int def) {
        List<String> a = List.of(args);
        int i = a.indexOf(name);
        return i >= 0 && i + 1 < a.size() ? Integer.parseInt(a.get(i + 1)) : def;
    }
}
