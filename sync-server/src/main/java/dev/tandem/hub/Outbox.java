package dev.tandem.hub;

import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;

import java.nio.ByteBuffer;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bounded outbound queue of one connection. Jetty allows one send in flight per session, so
 * messages wait here; any thread may {@link #send}. When more than the configured bytes or
 * messages are waiting the peer is not reading fast enough: the TCP connection is dropped (a slow
 * consumer must not make the hub buffer forever) and {@code onCutOff} runs once. A failed write
 * drops the connection the same way.
 */
final class Outbox {
    private record Close(int code, String reason) {}

    private final Session session;
    private final long maxBytes;
    private final int maxMessages;
    private final Runnable onCutOff;
    private final HubMetrics metrics;
    private final Queue<Object> queue = new ConcurrentLinkedQueue<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicInteger queuedMessages = new AtomicInteger();
    /** True while a Jetty send is in flight. */
    private final AtomicBoolean writing = new AtomicBoolean();
    /** Set once no more messages will be written (closing, cut off, or failed). */
    private volatile boolean done;

    Outbox(Session session, long maxBytes, int maxMessages, HubMetrics metrics, Runnable onCutOff) {
        this.session = session;
        this.maxBytes = maxBytes;
        this.maxMessages = maxMessages;
        this.metrics = metrics;
        this.onCutOff = onCutOff;
    }

    /** Queues a text message. */
    void send(String text) {
        enqueue(text, text.length());
    }

    /** Queues a binary message; {@code frame} is shared with other connections and never modified. */
    void send(ByteBuffer frame) {
        enqueue(frame, frame.remaining());
    }

    /** Queues a close frame after everything already queued; nothing after it is sent. */
    void close(int code, String reason) {
        if (done) return;
        queue.add(new Close(code, reason));
        queuedMessages.incrementAndGet();
        drain();
    }

    /** Drops the TCP connection at once, discarding what is queued. */
    void abort() {
        done = true;
        queue.clear();
        session.disconnect();
    }

    boolean isDone() {
        return done;
    }

    private void enqueue(Object message, int size) {
        if (done) return;
        int count = queuedMessages.incrementAndGet();
        long bytes = queuedBytes.addAndGet(size);
        // One oversized message (a big catch-up) is allowed through an empty queue.
        if (count > 1 && (bytes > maxBytes || count > maxMessages)) {
            metrics.slowConsumer();
            abort();
            onCutOff.run();
            return;
        }
        queue.add(message);
        drain();
    }

    private void drain() {
        while (!done && writing.compareAndSet(false, true)) {
            Object next = queue.poll();
            if (next == null) {
                writing.set(false);
                if (queue.isEmpty()) return;
                continue;
            }
            Write write = new Write(next);
            write.start();
            if (!write.returned()) return;
            // Completed inline: keep looping here instead of recursing from the callback.
        }
    }

    /** One message on its way out; completes either inline (during start) or later on a Jetty thread. */
    private final class Write implements Callback {
        private final Object message;
        // 0 = in flight, 1 = start returned first, 2 = completed first
        private final AtomicInteger state = new AtomicInteger();

        Write(Object message) {
            this.message = message;
        }

        void start() {
            if (message instanceof ByteBuffer b) {
                session.sendBinary(b.duplicate(), this);
            } else if (message instanceof String s) {
                session.sendText(s, this);
            } else {
                Close c = (Close) message;
                done = true;
                queue.clear();
                session.close(c.code(), c.reason(), this);
            }
        }

        /** True if the write already completed, so the caller should continue draining. */
        boolean returned() {
            return !state.compareAndSet(0, 1);
        }

        @Override
        public void succeed() {
            finish();
        }

        @Override
        public void fail(Throwable x) {
            boolean wasDone = done;
            done = true;
            queue.clear();
            finish();
            // A failed write leaves the session unusable: treat it like a dropped connection.
            if (!wasDone) {
                org.slf4j.LoggerFactory.getLogger(Outbox.class).info("write failed: {}", x.toString());
                session.disconnect();
                onCutOff.run();
            }
        }

        private void finish() {
            int size = message instanceof ByteBuffer b ? b.remaining() : message instanceof String s ? s.length() : 0;
            queuedBytes.addAndGet(-size);
            queuedMessages.decrementAndGet();
            if (size > 0) metrics.bytesOut(size);
            writing.set(false);
            if (state.getAndSet(2) == 1) drain();
        }
    }
}
