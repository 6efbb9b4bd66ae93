package dev.tandem.hub;

import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The clock of {@code --write-linger}: an {@link Outbox} that lets a message wait for others
 * registers here, and its lane's thread tells it to write once the linger is over. Every wait is
 * equally long, so a lane's queue is in deadline order and its thread only sleeps until the
 * head's deadline; one wake-up serves every outbox whose linger ended meanwhile.
 *
 * <p>A lane per two cores (at least one): one thread makes the gathered writes of its outboxes,
 * which is the work being saved, so on a big machine one thread alone would become the bottleneck.
 *
 * <p>Threads: any thread may {@link #await}; each lane's queue is taken from by its thread only.
 */
final class WriteLinger implements AutoCloseable {
    private record Waiting(Outbox outbox, long dueNanos) {}

    private final long lingerNanos;
    private final Lane[] lanes;
    private final AtomicInteger nextLane = new AtomicInteger();
    private volatile boolean closed;

    WriteLinger(Duration linger) {
        this.lingerNanos = linger.toNanos();
        int n = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
        this.lanes = new Lane[n];
        for (int i = 0; i < n; i++) lanes[i] = new Lane("tandem-linger-" + i);
    }

    /** The lane a new connection's outbox uses from now on: round robin. */
    int laneForNewOutbox() {
        return Math.floorMod(nextLane.getAndIncrement(), lanes.length);
    }

    /** Calls {@code outbox.lingerOver()} once the linger has passed (at once after close). */
    void await(Outbox outbox, int lane) {
        if (closed) {
            outbox.lingerOver();
            return;
        }
        lanes[lane].add(new Waiting(outbox, System.nanoTime() + lingerNanos));
        // Closed meanwhile: the lane may have flushed before this arrived, so flush again here.
        if (closed) lanes[lane].flush();
    }

    /** Stops the lanes; every outbox still waiting writes now, on the caller's thread. */
    @Override
    public void close() {
        closed = true;
        for (Lane lane : lanes) {
            // Not interrupt: an interrupt during a write would close the connection's channel.
            LockSupport.unpark(lane.thread);
            try {
                lane.thread.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            lane.flush();
        }
    }

    private final class Lane {
        final Queue<Waiting> waiting = new ConcurrentLinkedQueue<>();
        /** Entries in {@link #waiting}: whoever makes it non-empty wakes the thread. */
        final AtomicInteger size = new AtomicInteger();
        final Thread thread;

        Lane(String name) {
            thread = new Thread(this::run, name);
            thread.setDaemon(true);
            thread.start();
        }

        void add(Waiting w) {
            waiting.add(w);
            // Only an empty lane's thread may be parked without a deadline; a busy one wakes by
            // itself at its head's deadline, which is earlier than this one's.
            if (size.getAndIncrement() == 0) LockSupport.unpark(thread);
        }

        private void run() {
            while (!closed) {
                Waiting head = waiting.peek();
                if (head == null) {
                    LockSupport.park(this);
                    continue;
                }
                long wait = head.dueNanos() - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(this, wait);
                    continue;
                }
                release();
            }
        }

        /** Tells the head outbox its linger is over (any thread: each entry is taken once). */
        private void release() {
            Waiting w = waiting.poll();
            if (w == null) return;
            size.decrementAndGet();
            try {
                w.outbox().lingerOver();
            } catch (RuntimeException e) {
                // One connection's failed write must not stop the lane every other one relies on.
                org.slf4j.LoggerFactory.getLogger(WriteLinger.class).warn("a lingering write failed", e);
            }
        }

        /** Everything waiting writes now. */
        void flush() {
            while (!waiting.isEmpty()) release();
        }
    }
}
