package dev.tandem.crdt.tools;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Update;
import dev.tandem.crdt.Version;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * For profiling on a busy machine: the trace command's figures as thread CPU time, which other
 * processes disturb far less than wall time. {@code CpuBench PATH [runs]}.
 */
public final class CpuBench {
    public static void main(String[] args) throws Exception {
        Trace t = Trace.read(Path.of(args[0]));
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Doc doc = TraceTool.replay(t);
        byte[] bytes = doc.encode();
        Update history = doc.updatesSince(Version.EMPTY);
        double[][] r = new double[4][runs];
        for (int w = 0; w < runs + 5; w++) {
            long a = mx.getCurrentThreadCpuTime();
            Doc d = TraceTool.replay(t);
            long b = mx.getCurrentThreadCpuTime();
            d.encode();
            long c = mx.getCurrentThreadCpuTime();
            Doc.decode(bytes);
            long e = mx.getCurrentThreadCpuTime();
            new Doc().apply(history);
            long f = mx.getCurrentThreadCpuTime();
            if (w >= 5) {
                r[0][w - 5] = (b - a) / 1e6;
                r[1][w - 5] = (c - b) / 1e6;
                r[2][w - 5] = (e - c) / 1e6;
                r[3][w - 5] = (f - e) / 1e6;
            }
        }
        for (double[] x : r) Arrays.sort(x);
        System.out.printf(Locale.ROOT, "%s cpu ms: local %.1f encode %.1f decode %.1f merge %.1f%n", t.name,
                r[0][runs / 2], r[1][runs / 2], r[2][runs / 2], r[3][runs / 2]);
    }
}
