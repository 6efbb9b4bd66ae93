package dev.tandem.crdt;

import java.util.function.LongSupplier;

/**
 * The default clock of local edits: seconds since the epoch, read from a field that a daemon
 * thread refreshes every 250 ms. Reading the system clock costs 30-70 ns on the machines we
 * measured, a keystroke about 100 ns: a volatile read is free, and a quarter second is far
 * finer than the minute a run's time stands for ({@link InsertRuns#TIME_STEP}).
 */
final class CoarseClock {
    private CoarseClock() {}

    private static volatile long seconds = System.currentTimeMillis() / 1000;

    static final LongSupplier SECONDS = CoarseClock::now;

    static {
        Thread t = new Thread(() -> {
            while (true) {
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    return;
                }
                seconds = System.currentTimeMillis() / 1000;
            }
        }, "tandem-crdt-clock");
        t.setDaemon(true);
        t.start();
    }

    private static long now() {
        return seconds;
    }
}
