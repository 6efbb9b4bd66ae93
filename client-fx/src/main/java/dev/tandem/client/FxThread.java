package dev.tandem.client;

import javafx.application.Platform;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * The one place that hops onto the JavaFX application thread. Network and disk work run on
 * their own threads and hand their results here; only the FX thread touches the UI.
 */
final class FxThread {
    /** Runs tasks on the FX thread, in submission order. */
    static final Executor EXECUTOR = Platform::runLater;

    private FxThread() {}

    /** Runs {@code task} on the FX thread: now if already there, otherwise soon, in order. */
    static void run(Runnable task) {
        if (Platform.isFxApplicationThread()) task.run();
        else Platform.runLater(task);
    }

    /** Completes on the FX thread with the result (or failure) of {@code future}. */
    static <T> CompletableFuture<T> onFx(CompletableFuture<T> future) {
        return future.whenCompleteAsync((value, error) -> { }, EXECUTOR);
    }

    /**
     * Collects items posted from any thread and delivers them to the FX thread in batches:
     * a burst of remote updates costs one {@code runLater}, not one per message.
     */
    static final class Batcher<T> {
        private final ConcurrentLinkedQueue<T> queue = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean scheduled = new AtomicBoolean();
        private final Executor fx;
        private final Consumer<java.util.List<T>> sink; // called on the FX thread only

        Batcher(Executor fx, Consumer<java.util.List<T>> sink) {
            this.fx = fx;
            this.sink = sink;
        }

        /** Any thread. */
        void post(T item) {
            queue.add(item);
            if (scheduled.compareAndSet(false, true)) fx.execute(this::drain);
        }

        private void drain() {
            scheduled.set(false);
            java.util.List<T> batch = new java.util.ArrayList<>();
            for (T item; (item = queue.poll()) != null; ) batch.add(item);
            if (!batch.isEmpty()) sink.accept(batch);
        }
    }
}
