package dev.tandem.crdt.tools;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Update;
import dev.tandem.crdt.Version;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.ref.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * The trace command: replays any editing trace (sequential or concurrent, .json or .json.gz),
 * checks the result against its endContent, and measures the CRDT on it.
 *
 * <pre>./mvnw -q -pl crdt test-compile exec:java -Dexec.args="replay PATH [--runs N] [--warmup N]"</pre>
 *
 * The last line printed is one JSON object: ok, local_ms, encode_ms, bytes, decode_ms, merge_ms,
 * heap_mb, textat_ms (the text at the version halfway through the trace, read off the final
 * document with {@code Doc.textAt}). Exit code 1 when the text does not match, 2 on bad usage or an unreadable trace.
 */
public final class TraceTool {
    private TraceTool() {}

    public static void main(String[] args) throws Exception {
        int code = run(args);
        if (code != 0) System.exit(code);
    }

    static int run(String[] args) throws Exception {
        if (args.length < 2 || !args[0].equals("replay")) {
            System.err.println("usage: replay PATH [--runs N] [--warmup N]");
            return 2;
        }
        Path path = Path.of(args[1]);
        int runs = 7;
        int warmup = 5;
        for (int i = 2; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--runs" -> runs = Integer.parseInt(args[i + 1]);
                case "--warmup" -> warmup = Integer.parseInt(args[i + 1]);
                default -> {
                    System.err.println("unknown option " + args[i]);
                    return 2;
                }
            }
        }
        if (!Files.isRegularFile(path)) {
            System.err.println("no such trace file: " + path);
            return 2;
        }
        Trace trace;
        try {
            trace = Trace.read(path);
        } catch (Exception e) {
            System.err.println("cannot read trace " + path + ": " + e.getMessage());
            return 2;
        }
        System.out.printf(Locale.ROOT, "%s: %s trace, %d transactions, %d patches, %d agents, end text %d chars%n",
                trace.name, trace.concurrent ? "concurrent" : "sequential", trace.txnCount(), trace.patchCount(),
                trace.numAgents, trace.endContent.length());

        // Correctness first, on a cold JVM.
        Doc doc = replay(trace);
        boolean ok = checkAll(trace, doc);
        byte[] bytes = doc.encode();
        Doc decoded = Doc.decode(bytes);
        if (!decoded.text().equals(trace.endContent)) {
            System.out.println("MISMATCH: encode -> decode changed the text");
            ok = false;
        }
        Update history = doc.updatesSince(Version.EMPTY);
        Doc merged = new Doc();
        merged.apply(history);
        if (!merged.text().equals(trace.endContent)) {
            System.out.println("MISMATCH: the whole history applied to a fresh replica gives another text");
            ok = false;
        }

        for (int i = 0; i < warmup; i++) {
            Doc d = replay(trace);
            Doc.decode(d.encode());
            new Doc().apply(history);
        }
        double[] local = new double[runs];
        double[] encode = new double[runs];
        double[] decode = new double[runs];
        double[] merge = new double[runs];
        double[] loadEdit = new double[runs];
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            Doc d = replay(trace);
            long t1 = System.nanoTime();
            byte[] b = d.encode();
            long t2 = System.nanoTime();
            Doc e = Doc.decode(b);
            long t3 = System.nanoTime();
            Doc m = new Doc();
            m.apply(history);
            long t4 = System.nanoTime();
            // As the peer benchmark's "load + read + one appended character + read again",
            // which shows whether a load was cheap only because it decodes lazily.
            Doc le = Doc.decode(b);
            le.insert(le.text().length(), "!");
            String after = le.text();
            long t5 = System.nanoTime();
            if (!after.endsWith("!")) throw new IllegalStateException("load + edit lost the appended character");
            loadEdit[i] = (t5 - t4) / 1e6;
            local[i] = (t1 - t0) / 1e6;
            encode[i] = (t2 - t1) / 1e6;
            decode[i] = (t3 - t2) / 1e6;
            merge[i] = (t4 - t3) / 1e6;
            Reference.reachabilityFence(e);
            Reference.reachabilityFence(m);
        }
        double heapMb = retainedHeapMb(trace);

        // History: the text halfway through, from the final document (checked, then timed).
        Version[] half = new Version[1];
        String[] halfText = new String[1];
        Doc full;
        if (trace.concurrent) {
            int mid = trace.txnCount() / 2;
            full = Replay.concurrent(trace, (d, i) -> {
                if (i == mid) {
                    half[0] = d.version();
                    halfText[0] = d.text();
                }
            })[0];
        } else {
            int mid = trace.patchCount() / 2;
            full = Replay.sequential(trace, (d, p) -> {
                if (p == mid) {
                    half[0] = d.version();
                    halfText[0] = d.text();
                }
            });
        }
        double textAtMs = 0;
        if (half[0] != null) {
            if (!full.textAt(half[0]).equals(halfText[0])) {
                System.out.println("MISMATCH: textAt at the midpoint differs from the replayed text there");
                ok = false;
            }
            for (int i = 0; i < warmup; i++) full.textAt(half[0]);
            double[] textAt = new double[runs];
            for (int i = 0; i < runs; i++) {
                long t0 = System.nanoTime();
                String s = full.textAt(half[0]);
                textAt[i] = (System.nanoTime() - t0) / 1e6;
                Reference.reachabilityFence(s);
            }
            textAtMs = median(textAt);
        }

        System.out.printf(Locale.ROOT, "local replay   %10.2f ms  (median of %d, after %d warm-up runs)%n", median(local), runs, warmup);
        System.out.printf(Locale.ROOT, "encode         %10.2f ms  %d bytes%n", median(encode), bytes.length);
        System.out.printf(Locale.ROOT, "decode         %10.2f ms%n", median(decode));
        System.out.printf(Locale.ROOT, "load + edit    %10.2f ms  (decode, read, append one character, read again)%n", median(loadEdit));
        System.out.printf(Locale.ROOT, "remote merge   %10.2f ms  (whole history as one update into a fresh replica)%n", median(merge));
        System.out.printf(Locale.ROOT, "retained heap  %10.2f MB  (the replayed document)%n", heapMb);
        System.out.printf(Locale.ROOT, "textAt midpoint %9.2f ms  (%d chars, from the final document)%n", textAtMs, halfText[0] == null ? 0 : halfText[0].length());
        System.out.println(ok ? "OK: every replica ends at endContent" : "FAILED: text does not match endContent");
        System.out.printf(Locale.ROOT, "{\"ok\": %s, \"local_ms\": %.3f, \"encode_ms\": %.3f, \"bytes\": %d, \"decode_ms\": %.3f, \"load_edit_ms\": %.3f, \"merge_ms\": %.3f, \"heap_mb\": %.3f, \"textat_ms\": %.3f}%n",
                ok, median(local), median(encode), bytes.length, median(decode), median(loadEdit), median(merge), heapMb, textAtMs);
        return ok ? 0 : 1;
    }

    /** Replays the trace; for a concurrent one returns replica 0 after everyone synced. */
    static Doc replay(Trace trace) {
        return trace.concurrent ? Replay.concurrent(trace)[0] : Replay.sequential(trace);
    }

    private static boolean checkAll(Trace trace, Doc first) {
        if (!trace.concurrent) return report(trace, 0, first);
        boolean ok = true;
        Doc[] docs = Replay.concurrent(trace);
        for (int a = 0; a < docs.length; a++) ok &= report(trace, a, docs[a]);
        return ok && report(trace, 0, first);
    }

    private static boolean report(Trace trace, int replica, Doc doc) {
        String text = doc.text();
        if (text.equals(trace.endContent)) return true;
        int i = 0;
        while (i < text.length() && i < trace.endContent.length() && text.charAt(i) == trace.endContent.charAt(i)) i++;
        System.out.printf(Locale.ROOT, "MISMATCH: replica %d has %d chars, endContent %d; first difference at %d: got \"%s\", expected \"%s\"%n",
                replica, text.length(), trace.endContent.length(), i, snippet(text, i), snippet(trace.endContent, i));
        return false;
    }

    private static String snippet(String s, int at) {
        return s.substring(at, Math.min(s.length(), at + 30)).replace("\n", "\\n");
    }

    private static double retainedHeapMb(Trace trace) {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long before = usedAfterGc(memory);
        Doc doc = replay(trace);
        long after = usedAfterGc(memory);
        Reference.reachabilityFence(doc);
        return Math.max(0, after - before) / (1024.0 * 1024.0);
    }

    private static long usedAfterGc(MemoryMXBean memory) {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
