package dev.tandem.crdt.tools;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.UndoManager;
import dev.tandem.crdt.Update;

import java.util.Arrays;
import java.util.Locale;

/**
 * Undo and redo of one 10,000-character paste into a 100,000-character document that another
 * replica then typed into, median of 15 runs after 10 warm-up runs in one JVM:
 *
 * <pre>./mvnw -q -pl crdt test-compile exec:java -Dexec.mainClass=dev.tandem.crdt.tools.UndoBench</pre>
 *
 * Also the undo of a 10,000-character delete (which restores the text). The last line is JSON.
 */
public final class UndoBench {
    private UndoBench() {}

    public static void main(String[] args) {
        int warmup = 10;
        int runs = 15;
        double[] undoPaste = new double[runs];
        double[] redoPaste = new double[runs];
        double[] undoDelete = new double[runs];
        for (int i = -warmup; i < runs; i++) {
            Doc mine = new Doc(1);
            Doc other = new Doc(2);
            other.apply(mine.insert(0, text(100_000, 'a')));
            UndoManager undo = new UndoManager(mine);
            other.apply(undo.insert(50_000, text(10_000, 'p')));
            // Someone types inside the paste, so undo must leave their text and cut around it.
            for (int k = 0; k < 20; k++) mine.apply(other.insert(50_000 + 500 * k + k, "x"));

            long t0 = System.nanoTime();
            Update u = undo.undo().orElseThrow().update();
            long t1 = System.nanoTime();
            Update r = undo.redo().orElseThrow().update();
            long t2 = System.nanoTime();
            if (mine.length() != 110_020 || u.isEmpty() || r.isEmpty()) throw new AssertionError("paste undo/redo went wrong");

            undo.closeStep();
            undo.delete(20_000, 10_000);
            long t3 = System.nanoTime();
            undo.undo().orElseThrow();
            long t4 = System.nanoTime();
            if (mine.length() != 110_020) throw new AssertionError("delete undo went wrong");
            if (i >= 0) {
                undoPaste[i] = (t1 - t0) / 1e6;
                redoPaste[i] = (t2 - t1) / 1e6;
                undoDelete[i] = (t4 - t3) / 1e6;
            }
        }
        System.out.printf(Locale.ROOT, "{\"undo_paste_10k_ms\":%.2f,\"redo_paste_10k_ms\":%.2f,\"undo_delete_10k_ms\":%.2f}%n",
                median(undoPaste), median(redoPaste), median(undoDelete));
    }

    private static String text(int n, char c) {
        char[] cs = new char[n];
        Arrays.fill(cs, c);
        return new String(cs);
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
