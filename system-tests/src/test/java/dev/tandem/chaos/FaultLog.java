package dev.tandem.chaos;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a chaos run did: counters by kind (faults injected, edits made, errors seen) and the
 * problems found. Thread-safe: every thread of the run writes here.
 */
final class FaultLog {
    private final long startNanos = System.nanoTime();
    private final Map<String, AtomicLong> faults = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> counters = new ConcurrentHashMap<>();
    private final List<String> problems = new ArrayList<>();
    private final List<String> events = new ArrayList<>();

    /** A fault was injected. */
    void fault(String kind, String detail) {
        faults.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
        event(kind + (detail == null || detail.isEmpty() ? "" : ": " + detail));
    }

    /** Something worth counting that is not a fault (edits, errors clients saw, ...). */
    void count(String what, long n) {
        counters.computeIfAbsent(what, k -> new AtomicLong()).addAndGet(n);
    }

    long counter(String what) {
        AtomicLong v = counters.get(what);
        return v == null ? 0 : v.get();
    }

    long faults(String kind) {
        AtomicLong v = faults.get(kind);
        return v == null ? 0 : v.get();
    }

    long totalFaults() {
        return faults.values().stream().mapToLong(AtomicLong::get).sum();
    }

    /** A broken invariant: the run fails at the end, listing every problem. */
    synchronized void problem(String what) {
        problems.add(String.format("%8.3fs %s", elapsed(), what));
        System.err.println("[chaos] PROBLEM: " + what);
    }

    synchronized List<String> problems() {
        return List.copyOf(problems);
    }

    synchronized void event(String what) {
        String line = String.format("%8.3fs %s", elapsed(), what);
        events.add(line);
        if (events.size() > 5000) events.subList(0, 1000).clear();
    }

    synchronized List<String> lastEvents(int n) {
        return List.copyOf(events.subList(Math.max(0, events.size() - n), events.size()));
    }

    double elapsed() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    Map<String, Long> faultsByKind() {
        Map<String, Long> m = new TreeMap<>();
        faults.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }

    Map<String, Long> counters() {
        Map<String, Long> m = new TreeMap<>();
        counters.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }
}
