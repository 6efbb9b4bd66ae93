package dev.tandem.sync;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Queue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Runs tasks one at a time, in submission order, on a shared pool: a "thread" without a thread of
 * its own. State owned by a serial executor needs no locks. A sync client's session and a hub
 * room each own one; public only so that the hub's package can use it too.
 *
 * <p>A task that throws does not stop the executor: its failure handler runs at once, in the same
 * turn (so it may touch the owned state, which the failed task may have left half-changed), then
 * the next task.
 *
 * <p>A task may also hold the executor until a blocking part of its work, done elsewhere, is
 * finished ({@link #waitFor}): the pool thread is free meanwhile, and nothing of this executor runs.
 */
public final class SerialExecutor implements Executor {
    private static final Logger log = LoggerFactory.getLogger(SerialExecutor.class);

    private final Executor pool;
    private final Consumer<Throwable> onFailure;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    /** True while a turn is running or queued on the pool; whoever sets it runs the tasks. */
    private final AtomicBoolean scheduled = new AtomicBoolean();
    /**
     * What the running task asked to wait for, taken when it returns. Only the thread running
     * the turn touches it, so it needs no synchronisation.
     */
    private Wait<?> waiting;

    private record Wait<T>(CompletionStage<T> stage, BiConsumer<? super T, ? super Throwable> then) {}

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
        boolean held = false;
        try {
            runGuarded(task);
            held = holdIfWaiting();
        } finally {
            if (!held) endTurn();
        }
    }

    /**
     * Called by a task running on this executor: once the task returns, nothing of this executor
     * runs (neither what is queued nor what is submitted later; {@code runOrExecute} queues) until
     * {@code stage} completes, normally or not. Then {@code then} runs on this executor with its
     * result or failure, first, and after it everything queued, in submission order. The pool
     * thread is given back while waiting: this is for a task whose blocking part (reading a
     * database, say) runs on threads of its own, and whose state must not be touched by anything
     * else before the result is in. {@code then} is a task like any other: if it throws, the
     * failure handler runs.
     *
     * @throws IllegalStateException if the task already asked to wait for something
     */
    public <T> void waitFor(CompletionStage<T> stage, BiConsumer<? super T, ? super Throwable> then) {
        if (waiting != null) throw new IllegalStateException("this task already waits for a stage");
        waiting = new Wait<>(stage, then);
    }

    private void runAll() {
        runTurn(null);
    }

    /** A turn on the pool: {@code first} (if any), then a burst of the queue, unless a task holds the executor. */
    private void runTurn(Runnable first) {
        if (first != null) {
            runGuarded(first);
            if (holdIfWaiting()) return;
        }
        // A bounded burst per turn, so one busy executor cannot starve the others on the pool.
        for (int i = 0; i < 256; i++) {
            Runnable r = tasks.poll();
            if (r == null) break;
            runGuarded(r);
            if (holdIfWaiting()) return;
        }
        endTurn();
    }

    /**
     * After a task, while its turn is still held: if it asked to wait, the turn stays taken
     * ({@code scheduled} remains true, so nothing else starts one) and resumes on the pool when
     * the stage completes, with the task's continuation first. True if so; the caller then
     * returns at once, without ending the turn.
     */
    private boolean holdIfWaiting() {
        Wait<?> w = waiting;
        if (w == null) return false;
        waiting = null;
        resumeAfter(w);
        return true;
    }

    private <T> void resumeAfter(Wait<T> w) {
        // Registered only now that the task has returned: a stage already complete resumes on
        // another pool thread at once, and this thread does nothing more in this turn.
        w.stage().whenComplete((result, failure) -> pool.execute(() -> runTurn(() -> w.then().accept(result, failure))));
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
