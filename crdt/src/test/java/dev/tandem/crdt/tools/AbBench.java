package dev.tandem.crdt.tools;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * Two builds of the crdt module in one JVM, alternating run by run, timed as thread CPU time: the
 * fairest comparison this shared machine allows (both sides see the same load, JIT and heap).
 * Each side is loaded from its own {@code target/classes} and {@code target/test-classes}, plus
 * the test dependencies (the trace reader uses Jackson), in a class loader of its own.
 *
 * <pre>./mvnw -q -pl crdt dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt -Dmdep.includeScope=test
 * java -XX:+UseParallelGC -cp crdt/target/test-classes dev.tandem.crdt.tools.AbBench TRACE A_MODULE_DIR B_MODULE_DIR /tmp/cp.txt [runs]</pre>
 *
 * Prints, per side, the medians of local replay, encode, decode (load) and remote merge, and B/A.
 */
public final class AbBench {
    private AbBench() {}

    /** One build's entry points, by reflection. */
    private static final class Side {
        final String name;
        final Object trace;
        final Method replay;
        final Method encode;
        final Method decode;
        final Method updatesSince;
        final Method apply;
        final Class<?> doc;
        final Object emptyVersion;
        final double[][] ms;

        Side(String name, Path module, Path tracePath, String deps, int runs) throws Exception {
            this.name = name;
            java.util.List<URL> urls = new java.util.ArrayList<>();
            urls.add(module.resolve("target/classes").toUri().toURL());
            urls.add(module.resolve("target/test-classes").toUri().toURL());
            for (String jar : deps.split(java.io.File.pathSeparator)) if (!jar.isBlank()) urls.add(Path.of(jar.trim()).toUri().toURL());
            URLClassLoader loader = new URLClassLoader(urls.toArray(new URL[0]), null);
            Class<?> traceClass = loader.loadClass("dev.tandem.crdt.tools.Trace");
            trace = traceClass.getMethod("read", Path.class).invoke(null, tracePath);
            replay = loader.loadClass("dev.tandem.crdt.tools.Replay").getMethod("sequential", traceClass);
            doc = loader.loadClass("dev.tandem.crdt.Doc");
            Class<?> version = loader.loadClass("dev.tandem.crdt.Version");
            Class<?> update = loader.loadClass("dev.tandem.crdt.Update");
            encode = doc.getMethod("encode");
            decode = doc.getMethod("decode", byte[].class);
            updatesSince = doc.getMethod("updatesSince", version);
            apply = doc.getMethod("apply", update);
            emptyVersion = version.getField("EMPTY").get(null);
            ms = new double[4][runs];
        }

        void run(ThreadMXBean mx, int slot) throws Exception {
            long a = mx.getCurrentThreadCpuTime();
            Object d = replay.invoke(null, trace);
            long b = mx.getCurrentThreadCpuTime();
            byte[] bytes = (byte[]) encode.invoke(d);
            long c = mx.getCurrentThreadCpuTime();
            decode.invoke(null, (Object) bytes);
            long e = mx.getCurrentThreadCpuTime();
            Object history = updatesSince.invoke(d, emptyVersion);
            Object fresh = doc.getConstructor().newInstance();
            long f = mx.getCurrentThreadCpuTime();
            apply.invoke(fresh, history);
            long g = mx.getCurrentThreadCpuTime();
            if (slot >= 0) {
                ms[0][slot] = (b - a) / 1e6;
                ms[1][slot] = (c - b) / 1e6;
                ms[2][slot] = (e - c) / 1e6;
                ms[3][slot] = (g - f) / 1e6;
            }
        }

        double median(int k) {
            double[] s = ms[k].clone();
            Arrays.sort(s);
            return s[s.length / 2];
        }
    }

    public static void main(String[] args) throws Exception {
        Path trace = Path.of(args[0]);
        String deps = java.nio.file.Files.readString(Path.of(args[3]));
        int runs = args.length > 4 ? Integer.parseInt(args[4]) : 21;
        Side a = new Side("A " + args[1], Path.of(args[1]), trace, deps, runs);
        Side b = new Side("B " + args[2], Path.of(args[2]), trace, deps, runs);
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        for (int w = 0; w < 10; w++) {
            a.run(mx, -1);
            b.run(mx, -1);
        }
        for (int i = 0; i < runs; i++) {
            // Alternate which goes first, so neither always runs right after a GC of the other's garbage.
            Side first = i % 2 == 0 ? a : b;
            Side second = first == a ? b : a;
            first.run(mx, i);
            second.run(mx, i);
        }
        String[] what = {"local replay", "encode", "load (decode)", "remote merge"};
        System.out.printf(Locale.ROOT, "%s, thread CPU ms, medians of %d alternating runs after 10 warm-up pairs%n", trace.getFileName(), runs);
        for (int k = 0; k < 4; k++) {
            System.out.printf(Locale.ROOT, "%-14s A %8.2f   B %8.2f   B/A %.3f%n", what[k], a.median(k), b.median(k), b.median(k) / a.median(k));
        }
    }
}
