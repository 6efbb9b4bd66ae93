package dev.tandem.hub;

import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.OpCode;

import dev.tandem.protocol.Wire;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bounded outbound queue of one connection. Any thread may {@link #send}; what is queued goes
 * out in <em>gathered writes</em>: everything waiting (up to {@link #MAX_GATHER} messages) is
 * handed to Jetty as one batch that ends in a single flush, so several relays and acks share
 * one write system call. On loopback that call costs more than all the rest of a delivery.
 *
 * <p>Messages queue up, and so are gathered, while a write is in flight or while the queuing
 * thread is inside {@link #holdWrites}: a room's turn on the pool, a burst of tasks that queued
 * while the room was busy, whose relays leave together when the turn ends (or after at most
 * {@link #MAX_HOLD_NANOS}, in a long turn). A room is only that far behind when the hub is busy,
 * and then fewer writes are what lets it catch up. A message to an idle connection outside a hold
 * is written at once.
 *
 * <p>With {@code --write-linger} ({@link WriteLinger}) a message to a connection with nothing
 * waiting waits that long, and whatever else arrives for it meanwhile leaves in the same write:
 * fewer writes when the hub is not busy too, at the price of that much latency.
 *
 * <p>Acks are cumulative (docs/protocol.md): when a gathered write holds several acks, only the
 * last is sent, in its place.
 *
 * <p>When more than the configured bytes or messages are waiting the peer is not reading fast
 * enough: the TCP connection is dropped (a slow consumer must not make the hub buffer forever) and
 * {@code onCutOff} runs once. A failed write drops the connection the same way.
 *
 * <p>Threads: the queue and counters are lock-free and shared; {@code writing} makes one thread
 * at a time the writer, which alone takes from the queue.
 */
final class Outbox {
    private record Close(int code, String reason) {}

    /** A queued ack, kept as a number so that a later ack in the same write can replace it. */
    private record Ack(long seq) {}

    /** Most messages in one gathered write: bounds the wait of the first for the last. */
    static final int MAX_GATHER = 64;
    /** Most bytes in one gathered write; a larger message goes alone. */
    static final int MAX_GATHER_BYTES = 64 * 1024;
    /** Messages up to this size are copied into Jetty's batch buffer; larger ones keep their own buffer. */
    private static final int BATCH_COPY_BYTES = 1024;

    private final Session session;
    private final CoreSession core;
    private final long maxBytes;
    private final int maxMessages;
    private final Runnable onCutOff;
    private final HubMetrics metrics;
    private final Queue<Object> queue = new ConcurrentLinkedQueue<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicInteger queuedMessages = new AtomicInteger();
    /** Messages a hold may keep back for this connection before it writes anyway. */
    private final int holdLimit;
    /** True while a gathered write is being handed to Jetty or is in flight. */
    private final AtomicBoolean writing = new AtomicBoolean();
    /** Set once no more messages will be written (closing, cut off, or failed). */
    private volatile boolean done;
    /** Where messages wait for company ({@code --write-linger}); null: they do not. */
    private final WriteLinger linger;
    private final int lingerLane;
    /** True from the first message that lingers until {@link #lingerOver}: the rest just queue. */
    private final AtomicBoolean lingering = new AtomicBoolean();

    /** @param linger where messages wait for others to share their write, or null to write at once */
    Outbox(Session session, long maxBytes, int maxMessages, HubMetrics metrics, WriteLinger linger, Runnable onCutOff) {
        this.session = session;
        this.core = ((org.eclipse.jetty.websocket.common.WebSocketSession) session).getCoreSession();
        this.maxBytes = maxBytes;
        this.maxMessages = maxMessages;
        this.holdLimit = Math.min(MAX_GATHER, Math.max(1, maxMessages / 2));
        this.metrics = metrics;
        this.linger = linger;
        this.lingerLane = linger == null ? 0 : linger.laneForNewOutbox();
        this.onCutOff = onCutOff;
    }

    // ---- holding writes for a burst of work on one thread ----

    /** Longest a hold keeps a message back: a long burst releases what it holds as it goes. */
    static final long MAX_HOLD_NANOS = 1_000_000;
    /** {@link #MAX_HOLD_NANOS}, but tests on a busy machine may lengthen it. */
    static volatile long maxHoldNanos = MAX_HOLD_NANOS;

    /** One thread's hold: the outboxes that received messages, and since when they wait. */
    private static final class Hold {
        final Set<Outbox> outboxes = Collections.newSetFromMap(new IdentityHashMap<>());
        long since = -1;

        /** Writes what is held (each outbox one gathered write) and starts over. */
        void release() {
            since = -1;
            if (outboxes.isEmpty()) return;
            Outbox[] all = outboxes.toArray(new Outbox[0]);
            outboxes.clear();
            for (Outbox o : all) o.drain();
        }
    }

    /** The current thread's hold; null outside {@link #holdWrites}. */
    private static final ThreadLocal<Hold> HELD = new ThreadLocal<>();

    /**
     * Runs {@code work} with this thread's writes held: every message it queues waits, and each
     * connection it wrote to gets one gathered write when it returns (or throws), or as soon as
     * the oldest held message has waited {@link #MAX_HOLD_NANOS}. Nested holds join the
     * outermost one.
     */
    static void holdWrites(Runnable work) {
        if (HELD.get() != null) {
            work.run();
            return;
        }
        Hold hold = new Hold();
        HELD.set(hold);
        try {
            work.run();
        } finally {
            HELD.remove();
            hold.release();
        }
    }

    // ---- queuing ----

    /** Queues a text message. */
    void send(String text) {
        enqueue(text, text.length());
    }

    /** Queues a binary message; {@code frame} is shared with other connections and never modified. */
    void send(ByteBuffer frame) {
        enqueue(frame, frame.remaining());
    }

    /** Queues the ack of every push up to {@code seq}; a later ack leaving in the same write replaces it. */
    void ack(long seq) {
        enqueue(new Ack(seq), Wire.ack(seq).length());
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

    /** Messages queued or in a write not yet completed: what the cut-off bound counts. */
    int queuedMessages() {
        return queuedMessages.get();
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
        // Held or lingering only well below the cut-off bounds: waiting must never be what
        // overflows a queue.
        boolean mayWait = count < holdLimit && bytes <= maxBytes / 2;
        if (linger != null && mayWait) {
            if (lingering.compareAndSet(false, true)) linger.await(this, lingerLane);
            return;
        }
        Hold hold = HELD.get();
        if (hold != null && mayWait) {
            long now = System.nanoTime();
            if (hold.since < 0) hold.since = now;
            hold.outboxes.add(this);
            if (now - hold.since >= maxHoldNanos) hold.release();
            return;
        }
        drain();
    }

    /** The linger that began with the oldest waiting message is over: write what is queued. */
    void lingerOver() {
        lingering.set(false);
        drain();
    }

    // ---- writing ----

    private void drain() {
        while (!done && writing.compareAndSet(false, true)) {
            List<Object> batch = take();
            if (batch.isEmpty()) {
                writing.set(false);
                if (queue.isEmpty()) return;
                continue;
            }
            Write write = new Write(batch);
            write.start();
            if (!write.returned()) return;
            // Completed inline: keep looping here instead of recursing from the callback.
        }
    }

    /**
     * The writer only: takes what one gathered write carries. A close ends a batch, and a message
     * of {@link #MAX_GATHER_BYTES} or more goes alone.
     */
    private List<Object> take() {
        List<Object> batch = new ArrayList<>(4);
        long bytes = 0;
        Object next;
        while (batch.size() < MAX_GATHER && (next = queue.peek()) != null) {
            long size = sizeOf(next);
            if (!batch.isEmpty() && bytes + size > MAX_GATHER_BYTES) break;
            queue.poll();
            batch.add(next);
            bytes += size;
            if (next instanceof Close) break;
        }
        return batch;
    }

    private static int sizeOf(Object message) {
        if (message instanceof ByteBuffer b) return b.remaining();
        if (message instanceof String s) return s.length();
        if (message instanceof Ack a) return Wire.ack(a.seq()).length();
        return 0;
    }

    /**
     * One gathered write: every frame but the last is handed to Jetty as "batch" (held in its
     * write buffer), the last is not, so Jetty flushes them all in one write. Completes either
     * inline (during start) or later on a Jetty thread.
     */
    private final class Write {
        private final List<Object> batch;
        /** 0 = in flight, 1 = start returned first, 2 = completed first. */
        private final AtomicInteger state = new AtomicInteger();
        /** Frames of this write not yet completed (Jetty completes them in order). */
        private final AtomicInteger pending;
        private final AtomicBoolean failed = new AtomicBoolean();

        Write(List<Object> batch) {
            this.batch = batch;
            this.pending = new AtomicInteger(batch.size());
        }

        void start() {
            int last = lastAck();
            int n = batch.size();
            // Counted before any frame leaves, so whoever receives one sees the write counted.
            metrics.write(n);
            for (int i = 0; i < n; i++) {
                Object m = batch.get(i);
                int size = sizeOf(m);
                org.eclipse.jetty.util.Callback done = new org.eclipse.jetty.util.Callback() {
                    @Override
                    public void succeeded() {
                        frameDone(size, true);
                    }

                    @Override
                    public void failed(Throwable x) {
                        frameFailed(size, x);
                    }
                };
                if (m instanceof Ack a && i != last) {
                    // A later ack in this write covers it: it leaves the queue without a frame.
                    frameDone(size, false);
                    continue;
                }
                boolean flush = i == n - 1;
                if (m instanceof Close c) {
                    Outbox.this.done = true;
                    queue.clear();
                    core.close(c.code(), c.reason(), done);
                } else if (m instanceof ByteBuffer b) {
                    core.sendFrame(new Frame(OpCode.BINARY, b.duplicate()), done, !flush && b.remaining() <= BATCH_COPY_BYTES);
                } else {
                    String text = m instanceof Ack a ? Wire.ack(a.seq()) : (String) m;
                    core.sendFrame(new Frame(OpCode.TEXT, text), done, !flush && text.length() <= BATCH_COPY_BYTES);
                }
            }
        }

        /** Index of the last ack in the batch, or -1. */
        private int lastAck() {
            for (int i = batch.size() - 1; i >= 0; i--) {
                if (batch.get(i) instanceof Ack) return i;
            }
            return -1;
        }

        /** True if the write already completed, so the caller should continue draining. */
        boolean returned() {
            return !state.compareAndSet(0, 1);
        }

        private void frameDone(int size, boolean written) {
            queuedBytes.addAndGet(-size);
            queuedMessages.decrementAndGet();
            if (written && size > 0) metrics.bytesOut(size);
            if (pending.decrementAndGet() == 0) finish();
        }

        private void frameFailed(int size, Throwable x) {
            queuedBytes.addAndGet(-size);
            queuedMessages.decrementAndGet();
            if (failed.compareAndSet(false, true)) {
                boolean wasDone = done;
                done = true;
                queue.clear();
                // A failed write leaves the session unusable: treat it like a dropped connection.
                if (!wasDone) {
                    org.slf4j.LoggerFactory.getLogger(Outbox.class).info("write failed: {}", x.toString());
                    session.disconnect();
                    onCutOff.run();
                }
            }
            if (pending.decrementAndGet() == 0) finish();
        }

        private void finish() {
            writing.set(false);
            if (state.getAndSet(2) == 1) drain();
        }
    }
}
