package dev.tandem.crdt.tools;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Formats;
import dev.tandem.crdt.Update;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Formatting cost on a 100,000-character document (with 2,000 paragraphs) holding 10,000 marks
 * and 2,000 paragraph attributes: adding one more mark, reading the formatted runs of one screen
 * (3,000 characters), and applying 1,000 marks made on another replica, each per operation.
 * Medians of 9 runs after 5 warm-up runs in one JVM:
 *
 * <pre>./mvnw -q -pl crdt test-compile exec:java -Dexec.mainClass=dev.tandem.crdt.tools.FormatBench</pre>
 */
public final class FormatBench {
    private FormatBench() {}

    private static final String[] KEYS = {Formats.BOLD, Formats.ITALIC, Formats.UNDERLINE, Formats.LINK, Formats.CODE};

    public static void main(String[] args) {
        int warmup = 5;
        int runs = 9;
        double[] addUs = new double[runs];
        double[] screenUs = new double[runs];
        double[] remoteUs = new double[runs];
        for (int i = -warmup; i < runs; i++) {
            Random rnd = new Random(42 + i);
            Doc doc = new Doc(1);
            StringBuilder text = new StringBuilder();
            while (text.length() < 100_000) text.append("A line of prose with some words in it, long enough to wrap once.\n".substring(rnd.nextInt(10)));
            text.setLength(100_000);
            doc.insert(0, text.toString());
            for (int k = 0; k < 10_000; k++) mark(doc, rnd);
            for (int k = 0; k < 2_000; k++) doc.setParagraph(rnd.nextInt(doc.length()), Formats.BLOCK, k % 3 == 0 ? "h2" : "bullet");
            Doc other = new Doc(2);
            other.apply(doc.updatesSince(other.version()));
            List<Update> remote = new ArrayList<>();
            for (int k = 0; k < 1_000; k++) remote.add(mark(other, rnd));

            long t0 = System.nanoTime();
            for (int k = 0; k < 100; k++) mark(doc, rnd);
            long t1 = System.nanoTime();
            int chars = 0;
            for (int k = 0; k < 100; k++) {
                int from = rnd.nextInt(doc.length() - 3_000);
                chars += doc.runs(from, from + 3_000).size();
            }
            long t2 = System.nanoTime();
            for (Update u : remote) doc.apply(u);
            long t3 = System.nanoTime();
            if (chars == 0) throw new AssertionError();
            if (i >= 0) {
                addUs[i] = (t1 - t0) / 1e3 / 100;
                screenUs[i] = (t2 - t1) / 1e3 / 100;
                remoteUs[i] = (t3 - t2) / 1e3 / 1_000;
            }
        }
        System.out.printf(Locale.ROOT, "{\"add_mark_us\":%.1f,\"screen_runs_us\":%.1f,\"remote_mark_us\":%.1f}%n",
                median(addUs), median(screenUs), median(remoteUs));
    }

    private static Update mark(Doc doc, Random rnd) {
        int from = rnd.nextInt(doc.length() - 40);
        String key = KEYS[rnd.nextInt(KEYS.length)];
        return doc.mark(from, from + 1 + rnd.nextInt(40), key, key.equals(Formats.LINK) ? "https://example.org/" + rnd.nextInt(100) : "true");
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
