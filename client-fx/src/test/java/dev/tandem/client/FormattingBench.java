package dev.tandem.client;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Formats;
import dev.tandem.crdt.Update;
import javafx.application.Platform;
import javafx.scene.Scene;
import javafx.stage.Stage;
import org.fxmisc.richtext.StyleClassedTextArea;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The editor with a big formatted document (docs/benchmarks.md, "The editor with formatting").
 * Not a test: it prints figures. Headless (Monocle), in one process, no network:
 * <ul>
 *   <li>building the editor's content for a 1 MB document with 20,000 marks and 1,000 list
 *       paragraphs ({@link TextStyles#document}, on the loading thread), and swapping it into a
 *       shown window up to the first laid-out frame (FX thread);</li>
 *   <li>applying one remote formatting change (bold on 20 characters) to that window: the FX
 *       thread's time in {@link EditorBinding#applyRemote};</li>
 *   <li>a local keystroke into that document, through the binding (crdt insert, undo record,
 *       restyle of the typed character): the FX thread's time per character.</li>
 * </ul>
 * {@code FormattingBench [--chars 1000000] [--marks 20000] [--rounds 5]}
 */
public final class FormattingBench {
    public static void main(String[] args) throws Exception {
        int chars = intArg(args, "--chars", 1_000_000);
        int marks = intArg(args, "--marks", 20_000);
        int rounds = intArg(args, "--rounds", 5);
        System.setProperty("glass.platform", "Monocle");
        System.setProperty("monocle.platform", "Headless");
        System.setProperty("prism.order", "sw");
        CompletableFuture<Void> started = new CompletableFuture<>();
        Platform.startup(() -> started.complete(null));
        started.get(30, TimeUnit.SECONDS);
        Platform.setImplicitExit(false); // each round closes its window; the toolkit must stay up

        // The document, as another replica made it.
        Doc source = new Doc();
        String text = TypingBench.prose(chars);
        source.insert(0, text);
        String[] keys = {Formats.BOLD, Formats.ITALIC, Formats.UNDERLINE, Formats.CODE, Formats.LINK};
        int step = Math.max(8, text.length() / Math.max(1, marks));
        for (int i = 0, at = 0; i < marks && at + 6 < text.length(); i++, at += step) {
            String key = keys[i % keys.length];
            source.mark(at, at + 6, key, key.equals(Formats.LINK) ? "https://example.org/" + i : "true");
        }
        int paragraphs = 0;
        for (int at = 0; at >= 0 && paragraphs < 1000; ) {
            source.setParagraph(at, Formats.BLOCK, paragraphs % 2 == 0 ? "bullet" : "numbered");
            paragraphs++;
            int nl = text.indexOf('\n', at);
            at = nl < 0 ? -1 : nl + 1;
        }
        byte[] saved = source.encode();
        System.out.printf(Locale.ROOT, "formatting bench: %,d chars, %,d marks, %,d list paragraphs, %s, load %s%n",
                text.length(), marks, paragraphs, System.getProperty("java.vm.version"),
                new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/proc/loadavg"))).split(" ")[0]);

        long[] build = new long[rounds], show = new long[rounds], remote = new long[rounds], key = new long[rounds];
        for (int round = 0; round < rounds; round++) {
            final int r = round;
            Doc doc = Doc.decode(saved);
            long t0 = System.nanoTime();
            var content = TextStyles.document(doc);
            build[r] = System.nanoTime() - t0;
            long t1 = System.nanoTime();
            Object[] made = fx(() -> {
                StyleClassedTextArea area = new StyleClassedTextArea();
                area.getStyleClass().add("tandem-editor");
                area.setWrapText(true);
                long b0 = System.nanoTime();
                EditorBinding binding = new EditorBinding(area, doc, content, null, u -> { });
                if (System.getProperty("bench.verbose") != null) System.out.printf("    binding %.1f ms%n", (System.nanoTime() - b0) / 1e6);
                Stage stage = new Stage();
                Scene scene = new Scene(new org.fxmisc.flowless.VirtualizedScrollPane<>(area), 1100, 720);
                scene.getStylesheets().add(TandemApp.stylesheet());
                stage.setScene(scene);
                stage.show();
                area.layout();
                return new Object[] {stage, area, binding};
            });
            show[r] = System.nanoTime() - t1;
            Stage stage = (Stage) made[0];
            StyleClassedTextArea area = (StyleClassedTextArea) made[1];
            EditorBinding binding = (EditorBinding) made[2];

            // A remote formatting change in view.
            Doc other = Doc.decode(saved);
            Update bold = other.mark(100 + r, 120 + r, Formats.BOLD, "true");
            remote[r] = fx(() -> {
                long s = System.nanoTime();
                binding.applyRemote(List.of(bold));
                area.layout();
                return System.nanoTime() - s;
            });
            // Local keystrokes in a formatted paragraph near the top.
            int n = 200;
            key[r] = fx(() -> {
                area.moveTo(110 + r);
                long s = System.nanoTime();
                for (int i = 0; i < n; i++) area.insertText(area.getCaretPosition(), "x");
                area.layout();
                return (System.nanoTime() - s) / n;
            });
            fx(() -> {
                binding.dispose();
                stage.close();
                return null;
            });
        }
        print("build the editor's content (loading thread)", build);
        print("swap it into a window, first layout (FX thread)", show);
        print("apply a remote bold on 20 chars + layout (FX thread)", remote);
        print("one local keystroke in formatted text, per key (FX thread)", key);
        Platform.exit();
        System.exit(0);
    }

    private static void print(String what, long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        List<String> all = new ArrayList<>();
        for (long v : nanos) all.add(String.format(Locale.ROOT, "%.1f", v / 1e6));
        System.out.printf(Locale.ROOT, "  %s: median %.1f ms (runs: %s)%n", what, s[s.length / 2] / 1e6, String.join(", ", all));
    }

    private static <T> T fx(Callable<T> c) throws Exception {
        CompletableFuture<T> f = new CompletableFuture<>();
        Platform.runLater(() -> {
            try {
                f.complete(c.call());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        return f.get(600, TimeUnit.SECONDS);
    }

    private static int intArg(String[] args, String name, int fallback) {
        for (int i = 0; i + 1 < args.length; i++) if (args[i].equals(name)) return Integer.parseInt(args[i + 1]);
        return fallback;
    }
}
