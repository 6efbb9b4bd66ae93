package dev.tandem.sync;

import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;
import org.eclipse.jetty.websocket.client.WebSocketClient;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Process-wide machinery shared by every {@link SyncClient}: one Jetty WebSocket client, one small
 * pool the session "threads" run on, one timer. All threads are daemons, so a command-line tool
 * exits when its main thread ends. Thousands of clients (the load generator) share them.
 */
final class SyncRuntime {
    private SyncRuntime() {}

    private static WebSocketClient jetty;
    static final ExecutorService POOL = Executors.newFixedThreadPool(
            Math.max(2, java.lang.Runtime.getRuntime().availableProcessors()), daemon("tandem-sync"));
    static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(daemon("tandem-sync-timer"));

    /** One client per pinned trust (a process has one or a few): its SSL context is the client's. */
    private static final java.util.Map<TlsTrust, WebSocketClient> pinned = new java.util.HashMap<>();

    /** The shared client for {@code trust}; null: the system's CAs only. */
    static synchronized WebSocketClient jetty(TlsTrust trust) {
        if (trust == null) return jetty();
        WebSocketClient c = pinned.get(trust);
        if (c == null) {
            c = newClient(trust);
            pinned.put(trust, c);
        }
        return c;
    }

    static synchronized WebSocketClient jetty() {
        if (jetty == null) jetty = newClient(null);
        return jetty;
    }

    private static WebSocketClient newClient(TlsTrust trust) {
        {
            QueuedThreadPool threads = new QueuedThreadPool(64, 2);
            threads.setName("tandem-sync-io");
            threads.setDaemon(true);
            HttpClient http = new HttpClient();
            if (trust != null) {
                org.eclipse.jetty.util.ssl.SslContextFactory.Client ssl = new org.eclipse.jetty.util.ssl.SslContextFactory.Client();
                ssl.setSslContext(trust.sslContext());
                http.setSslContextFactory(ssl);
            }
            http.setExecutor(threads);
            http.setScheduler(new ScheduledExecutorScheduler("tandem-sync-scheduler", true));
            WebSocketClient client = new WebSocketClient(http);
            // Defaults only: each connection sets its own SyncConfig limits when it opens.
            client.setMaxBinaryMessageSize(SyncConfig.DEFAULT_MAX_MESSAGE_BYTES);
            client.setMaxTextMessageSize(SyncConfig.MAX_TEXT_BYTES);
            client.setMaxFrameSize(SyncConfig.DEFAULT_MAX_MESSAGE_BYTES);
            try {
                client.start();
            } catch (Exception e) {
                throw new IllegalStateException("cannot start the WebSocket client: " + e.getMessage(), e);
            }
            return client;
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
