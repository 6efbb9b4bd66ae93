package dev.tandem.hub;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs tasks one at a time, in submission order, on a shared pool: a room's "thread" without a
 * thread per room. State owned by a serial executor needs no locks.
 */
final class SerialExecutor implements Executor {
    private static final Logger log = LoggerFactory.getLogger(SerialExecutor.class);

    private final Executor pool;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();

    SerialExecutor(Executor pool) {
        this.pool = pool;
    }

    @Override
    public void execute(Runnable task) {
        tasks.add(task);
        if (scheduled.compareAndSet(false, true)) pool.execute(this::runAll);
    }

    /**
     * Runs {@code task} on the calling thread when nothing of this executor is running or queued,
     * else queues it like {@link #execute}. Saves a thread hand-off (a wake-up and two context
     * switches) per task in the common case; only for tasks that never block.
     */
    void runOrExecute(Runnable task) {
        if (!tasks.isEmpty() || !scheduled.compareAndSet(false, true)) {
            execute(task);
            return;
        }
        try {
            task.run();
        } catch (RuntimeException | Error e) {
            log.error("task failed", e);
        } finally {
            scheduled.set(false);
            if (!tasks.isEmpty() && scheduled.compareAndSet(false, true)) pool.execute(this::runAll);
        }
    }

    private void runAll() {
        // A bounded burst per turn, so one busy room cannot starve the others on the pool.
        for (int i = 0; i < 256; i++) {
            Runnable r = tasks.poll();
            if (r == null) break;
            try {
                r.run();
            } catch (RuntimeException | Error e) {
                log.error("task failed", e);
            }
        }
        scheduled.set(false);
        if (!tasks.isEmpty() && scheduled.compareAndSet(false, true)) pool.execute(this::runAll);
    }
}
