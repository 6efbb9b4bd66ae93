package dev.tandem.crdt;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The default clock of local edits: seconds since the epoch, read from a field that a daemon
 * thread refreshes every 250 ms. Reading the system clock costs 30-70 ns on the machines we
 * measured, a keystroke about 70 ns; a volatile read costs little itself but is a barrier the
 * compiler may not move loads across, which measurably slowed local replay. An opaque read is
 * a plain load that is never cached in a register across calls, so a long-lived loop still sees
 * the clock move. A quarter second is far finer than the minute a run's time stands for
 * ({@link InsertRuns#TIME_STEP}).
 */
final class CoarseClock {
    private CoarseClock() {}

    @SuppressWarnings("unused") // accessed through SECONDS
    private static long seconds = System.currentTimeMillis() / 1000;
    private static final VarHandle SECONDS;

    static {
        try {
            SECONDS = MethodHandles.lookup().findStaticVarHandle(CoarseClock.class, "seconds", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
        Thread t = new Thread(() -> {
            while (true) {
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    return;
                }
                SECONDS.setOpaque(System.currentTimeMillis() / 1000);
            }
        }, "tandem-crdt-clock");
        t.setDaemon(true);
        t.start();
    }

    /** Seconds since the epoch, at most a quarter second old. */
    static long seconds() {
        return (long) SECONDS.getOpaque();
    }
}
