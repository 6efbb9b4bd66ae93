package dev.tandem.sync;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Runs tasks one at a time, in submission order, on a shared pool: a "thread" without a thread of
 * its own. State owned by a serial executor needs no locks. A sync client's session and a hub
 * room each own one; public only so that the hub's package can use it too.
 *
 * <p>A task that throws does not stop the executor: its failure handler runs at once, in the same
 * turn (so it may touch the owned state, which the failed task may have left half-changed), then
 * the next task.
 */
public final class SerialExecutor implements Executor {
    private static final Logger log = LoggerFactory.getLogger(SerialExecutor.class);

    private final Executor pool;
    private final Consumer<Throwable> onFailure;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    /** True while a turn is running or queued on the pool; whoever sets it runs the tasks. */
    private final AtomicBoolean scheduled = new AtomicBoolean();

    /** An executor whose failed tasks are logged and otherwise ignored. */
    public SerialExecutor(Executor pool) {
        this(pool, e -> log.error("task failed", e));
    }

    /**
     * @param onFailure runs on this executor, right after a task threw a RuntimeException or an
     *     Error, with what it threw
     */
    public SerialExecutor(Executor pool, Consumer<Throwable> onFailure) {
        this.pool = pool;
        this.onFailure = onFailure;
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
    public void runOrExecute(Runnable task) {
        if (!tasks.isEmpty() || !scheduled.compareAndSet(false, true)) {
            execute(task);
            return;
        }
        try {
            runGuarded(task);
        } finally {
            endTurn();
        }
    }

    private void runAll() {
        // A bounded burst per turn, so one busy executor cannot starve the others on the pool.
        for (int i = 0; i < 256; i++) {
            Runnable r = tasks.poll();
            if (r == null) break;
            runGuarded(r);
        }
        endTurn();
    }

    private void runGuarded(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException | Error e) {
            try {
                onFailure.accept(e);
            } catch (RuntimeException | Error handlerFailed) {
                handlerFailed.addSuppressed(e);
                log.error("task failed, and so did its failure handler", handlerFailed);
            }
        }
    }

    /** Gives up the turn, and takes another on the pool if tasks arrived meanwhile. */
    private void endTurn() {
        scheduled.set(false);
        if (!tasks.isEmpty() && scheduled.compareAndSet(false, true)) pool.execute(this::runAll);
    }
}
