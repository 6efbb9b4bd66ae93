package dev.tandem.hub;

import org.eclipse.jetty.http.pathmap.PathSpec;
import org.eclipse.jetty.http.pathmap.UriTemplatePathSpec;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.tandem.hub.store.RoomStore;
import dev.tandem.hub.store.SharedRoomStore;
import dev.tandem.protocol.RoomNames;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A running hub: Jetty with the WebSocket endpoint {@code /rooms/{room}}, {@code GET /healthz} and
 * {@code GET /metrics}, over a {@link RoomStore}. {@link #start} then {@link #close}.
 */
public final class Hub implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Hub.class);
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private final HubConfig config;
    private final RoomStore store;
    private final HubMetrics metrics;
    private final RoomRegistry rooms;
    private final ExecutorService roomPool;
    private final ScheduledExecutorService scheduler;
    private final Server server;
    private final ServerConnector connector;
    /** 127.0.0.1:--admin-port for /metrics and /healthz, or null (then they are on the main port). */
    private final ServerConnector adminConnector;
    private final AddressLimits addressLimits;
    private final Set<HubConnection> connections = ConcurrentHashMap.newKeySet();
    /** Verifies tokens; null with --auth none. */
    private final Tokens tokens;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean stopping;
    private volatile boolean cleanStop;
    private final Bus bus;
    /**
     * The room pool's threads, shared by every room's tasks: none of those may block for long
     * (a room reads the store on the registry's store readers).
     */
    static final int ROOM_THREADS = Math.max(2, Runtime.getRuntime().availableProcessors());
    /** Where outgoing messages wait for company ({@code --write-linger}); null when it is zero. */
    private final WriteLinger writeLinger;
    /** How often a hub on a bus says it is alive. */
    static final Duration BUS_HEARTBEAT = Duration.ofSeconds(1);
    /** People on a hub not heard from for this long leave the other hubs' rooms (tests shorten it). */
    static volatile Duration presenceTtl = Duration.ofSeconds(5);
    /** How often a hub on a bus checks its rooms against the store for entries the bus lost (tests shorten it). */
    static volatile Duration storeCheckEvery = Duration.ofSeconds(5);

    /**
     * The bus the rooms use, set once before any room exists: rooms are made by the registry,
     * which the bus's handler needs, so neither can be built first.
     */
    private static final class BusRef implements Bus {
        volatile Bus bus = Bus.NONE;

        @Override
        public long hubId() {
            return bus.hubId();
        }

        @Override
        public void subscribe(String room) {
            bus.subscribe(room);
        }

        @Override
        public void unsubscribe(String room) {
            bus.unsubscribe(room);
        }

        @Override
        public void publish(String room, BusMessage message) {
            bus.publish(room, message);
        }

        @Override
        public boolean shared() {
            return bus.shared();
        }

        @Override
        public void close() {
            bus.close();
        }
    }

    private Hub(HubConfig config, RoomStore store, Tokens tokens) throws java.io.IOException {
        this.config = config;
        this.store = store;
        this.tokens = tokens;
        this.metrics = new HubMetrics(this::roomCount, connections::size);
        this.roomPool = Executors.newFixedThreadPool(ROOM_THREADS, named("tandem-room"));
        this.scheduler = Executors.newSingleThreadScheduledExecutor(named("tandem-timer"));
        BusRef ref = new BusRef();
        this.rooms = new RoomRegistry(roomPool, scheduler, store, ref, config, metrics);
        if (config.bus() != null) {
            // The store every hub shares is the truth; the bus only makes other hubs' edits and
            // people show up at once. The check against the store heals what the bus loses.
            ref.bus = RedisBus.connect(config.bus(), rooms.busHandler(), scheduler, BUS_HEARTBEAT, presenceTtl, config.maxMessageBytes() + 1024);
            SharedRoomStore shared = (SharedRoomStore) store;
            scheduler.scheduleWithFixedDelay(() -> rooms.checkAgainstStore(shared), storeCheckEvery.toMillis(), storeCheckEvery.toMillis(), TimeUnit.MILLISECONDS);
        }
        this.bus = ref.bus;
        this.writeLinger = config.writeLinger().isZero() ? null : new WriteLinger(config.writeLinger());

        QueuedThreadPool threads = new QueuedThreadPool(200, 4);
        threads.setName("tandem-jetty");
        server = new Server(threads);
        HubSecurity sec = config.security();
        this.addressLimits = new AddressLimits(sec.maxConnectionsPerIp(), sec.joinsPerIpPerMinute());
        if (sec.tlsCert() != null) {
            // wss:// and https:// on the one port; TLS 1.2 and 1.3 only, Jetty's default (modern) ciphers.
            org.eclipse.jetty.util.ssl.SslContextFactory.Server ssl = new org.eclipse.jetty.util.ssl.SslContextFactory.Server();
            ssl.setKeyStore(TlsFiles.keyStore(sec.tlsCert(), sec.tlsKey()));
            ssl.setKeyStorePassword(TlsFiles.PASSWORD);
            ssl.setIncludeProtocols("TLSv1.3", "TLSv1.2");
            org.eclipse.jetty.server.HttpConfiguration https = new org.eclipse.jetty.server.HttpConfiguration();
            org.eclipse.jetty.server.SecureRequestCustomizer secure = new org.eclipse.jetty.server.SecureRequestCustomizer();
            // Clients may connect by IP address with a certificate pinned by fingerprint: the
            // Host header need not match the certificate's names.
            secure.setSniHostCheck(false);
            https.addCustomizer(secure);
            connector = new ServerConnector(server, 1, 1, new org.eclipse.jetty.server.SslConnectionFactory(ssl, "http/1.1"),
                    new org.eclipse.jetty.server.HttpConnectionFactory(https));
        } else {
            connector = new ServerConnector(server, 1, 1);
        }
        connector.setHost(config.host());
        connector.setPort(config.port());
        server.addConnector(connector);
        if (sec.adminPort() >= 0) {
            adminConnector = new ServerConnector(server, 1, 1);
            adminConnector.setHost("127.0.0.1");
            adminConnector.setPort(sec.adminPort());
            server.addConnector(adminConnector);
        } else {
            adminConnector = null;
        }
        server.setStopTimeout(config.stopTimeout().toMillis());

        WebSocketUpgradeHandler ws = WebSocketUpgradeHandler.from(server, container -> {
            container.setMaxTextMessageSize(config.maxMessageBytes());
            container.setMaxBinaryMessageSize(config.maxMessageBytes());
            container.setMaxFrameSize(config.maxMessageBytes());
            container.setIdleTimeout(config.idleTimeout());
            container.addMapping("uri-template|/rooms/{room}", (req, resp, cb) -> {
                if (adminConnector != null && req.getConnectionMetaData().getConnector() == adminConnector) {
                    Response.writeError(req, resp, cb, 404, "the admin port serves /metrics and /healthz only");
                    return null;
                }
                // A browser page may open a WebSocket to any address and sends its Origin; desktop
                // clients send none. Refused before the upgrade, so such a page learns nothing.
                String origin = req.getHeaders().get("Origin");
                if (origin != null && !config.security().allowedOrigins().contains(origin)) {
                    log.info("refused an upgrade from {} with Origin {}", Request.getRemoteAddr(req), dev.tandem.protocol.Wire.quote(origin));
                    Response.writeError(req, resp, cb, 403, "Origin not allowed; see --allow-origin");
                    return null;
                }
                // Updates are small and compact; per-peer deflate would cost more CPU than it saves.
                resp.setExtensions(List.of());
                UriTemplatePathSpec spec = (UriTemplatePathSpec) req.getAttribute(PathSpec.class.getName());
                Map<String, String> params = spec.getPathParams(Request.getPathInContext(req));
                String name = RoomNames.decode(params == null ? null : params.get("room"));
                return new HubConnection(this, name, RoomNames.problem(name), bearer(req.getHeaders().get("Authorization")));
            });
        });
        ws.setHandler(new HttpEndpoints());
        server.setHandler(ws);
    }

    /**
     * Opens the store ({@link HubConfig#storeLocation()}: SQLite in the data directory unless
     * {@code --store} names another) and starts serving.
     *
     * @throws dev.tandem.hub.store.DataDirectoryLockedException if another hub has that data
     *     directory open (its message names the directory and, where known, the other process)
     */
    public static Hub start(HubConfig config) throws Exception {
        RoomStore store = config.storeLocation().open();
        Hub hub;
        try {
            HubSecurity sec = config.security();
            Tokens tokens = sec.auth() == HubSecurity.Auth.NONE ? null
                    : sec.tokenPublicKey() != null ? Tokens.publicKey(sec.tokenPublicKey()) : Tokens.ownKey(config.dataDir());
            hub = new Hub(config, store, tokens);
        } catch (Exception | Error e) {
            store.close();
            throw e;
        }
        try {
            hub.server.start();
        } catch (Exception e) {
            hub.close();
            throw e;
        }
        log.info("hub listening on {}://{}:{}, data in {}, rooms in {}{}", hub.scheme(), config.host(), hub.port(), config.dataDir().toAbsolutePath(),
                config.storeLocation(), config.bus() == null ? "" : ", bus " + RedisBus.redact(config.bus()));
        hub.scheduler.scheduleWithFixedDelay(() -> hub.addressLimits.prune(System.nanoTime()), 1, 1, TimeUnit.MINUTES);
        if (config.security().auth() == HubSecurity.Auth.NONE) {
            log.warn("--auth none: anyone who can reach {}:{} may read, change and erase every room (development only)", config.host(), hub.port());
        }
        return hub;
    }

    /** {@code wss} with --tls-cert, else {@code ws}. */
    public String scheme() {
        return config.security().tlsCert() != null ? "wss" : "ws";
    }

    /** The port actually bound (useful with port 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /** After {@link #close}: true if the store wrote everything it was given. */
    boolean stoppedCleanly() {
        return cleanStop;
    }

    /** Blocks until {@link #close} has finished. */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    /**
     * Graceful stop: stop accepting, tell every client (error {@code shutting_down}, close 1001),
     * flush the store, release everything. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (stopping) return;
        stopping = true;
        log.info("hub stopping");
        try {
            connector.close();
            CountDownLatch roomsDone = new CountDownLatch(rooms.size());
            for (Room r : rooms.all()) {
                r.exec.execute(() -> {
                    try {
                        r.shutdown();
                    } finally {
                        roomsDone.countDown();
                    }
                });
            }
            roomsDone.await(config.stopTimeout().toMillis(), TimeUnit.MILLISECONDS);
            for (HubConnection c : connections) c.fail(dev.tandem.protocol.ErrorCode.SHUTTING_DOWN, "the hub is shutting down");
            long deadline = System.nanoTime() + config.stopTimeout().toNanos();
            while (!connections.isEmpty() && System.nanoTime() < deadline) Thread.sleep(20);
            server.stop();
        } catch (Exception e) {
            log.warn("stopping the server: {}", e.toString());
        }
        if (writeLinger != null) writeLinger.close();
        bus.close();
        store.close();
        // A failed last write (the compactions above, say) makes the process exit non-zero.
        cleanStop = store.writeFailure() == null;
        scheduler.shutdownNow();
        rooms.close();
        roomPool.shutdown();
        try {
            roomPool.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        metrics.close();
        log.info("hub stopped");
        stopped.countDown();
    }

    /** For tests: small socket buffers make back-pressure show up quickly. */
    void setAcceptedSendBufferSize(int bytes) {
        connector.setAcceptedSendBufferSize(bytes);
    }

    HubConfig config() {
        return config;
    }

    /**
     * What {@code token} allows in {@code room}: with --auth none, editing every room as no
     * particular user.
     *
     * @throws dev.tandem.protocol.ProtocolException {@code unauthorized}
     */
    Grant admit(String token, String room) {
        if (tokens == null) return Grant.ANYONE;
        return tokens.verify(token, room);
    }

    /** The token of an {@code Authorization: Bearer} header, or null. */
    static String bearer(String header) {
        if (header == null) return null;
        String h = header.strip();
        return h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).strip() : null;
    }

    /** For tests: this hub's id on the bus (0 without one). */
    long busId() {
        return bus.hubId();
    }

    /** For tests: the store, to make its disk "full". */
    RoomStore store() {
        return store;
    }

    HubMetrics metrics() {
        return metrics;
    }

    /** Where a connection's messages wait for others to share their write; null: they do not. */
    WriteLinger writeLinger() {
        return writeLinger;
    }

    RoomRegistry rooms() {
        return rooms;
    }

    void opened(HubConnection c) {
        connections.add(c);
        if (stopping) {
            c.fail(dev.tandem.protocol.ErrorCode.SHUTTING_DOWN, "the hub is shutting down");
            return;
        }
        if (!addressLimits.connect(c.address())) {
            c.fail(dev.tandem.protocol.ErrorCode.TOO_MANY_CONNECTIONS, "more than " + config.security().maxConnectionsPerIp()
                    + " connections from " + c.address());
            return;
        }
        c.addressCounted = true;
    }

    /** The open connections (tests). */
    Set<HubConnection> connections() {
        return connections;
    }

    void closed(HubConnection c) {
        if (connections.remove(c) && c.addressCounted) addressLimits.disconnect(c.address());
    }

    AddressLimits addressLimits() {
        return addressLimits;
    }

    /** The port of --admin-port (useful with 0), or -1. */
    public int adminPort() {
        return adminConnector == null ? -1 : adminConnector.getLocalPort();
    }

    private int roomCount() {
        return rooms.size();
    }

    private static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * {@code /healthz}, {@code /metrics}, {@code /admin/...} ({@link AdminEndpoints}), and 404 for
     * everything else that is not a WebSocket upgrade. Blocking: the admin endpoints read the store.
     */
    private final class HttpEndpoints extends Handler.Abstract {
        private final AdminEndpoints admin = new AdminEndpoints(Hub.this, store, rooms);

        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            String path = Request.getPathInContext(request);
            boolean onAdminPort = adminConnector != null && request.getConnectionMetaData().getConnector() == adminConnector;
            if (path.startsWith("/admin/") && !onAdminPort) {
                admin.handle(request, response, callback);
                return true;
            }
            if (adminConnector != null && onAdminPort != (path.equals("/healthz") || path.equals("/metrics"))) {
                Response.writeError(request, response, callback, 404, onAdminPort ? "the admin port serves /metrics and /healthz only"
                        : "/metrics and /healthz are on the admin port");
                return true;
            }
            if (!"GET".equals(request.getMethod()) && !"HEAD".equals(request.getMethod())) {
                Response.writeError(request, response, callback, 405);
                return true;
            }
            if (path.equals("/healthz")) {
                // 503 while stopping, and while the store cannot write (a full disk, say): the
                // hub still relays, but it acknowledges nothing until a commit succeeds again.
                String storeProblem = store.writeFailure();
                Map<String, Object> health = new LinkedHashMap<>();
                health.put("status", stopping ? "stopping" : storeProblem != null ? "degraded" : "ok");
                if (!stopping && storeProblem != null) health.put("reason", "the store cannot write: " + storeProblem);
                health.put("rooms", rooms.size());
                health.put("connections", connections.size());
                String body;
                try {
                    body = JSON.writeValueAsString(health) + "\n";
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new IllegalStateException(e);
                }
                response.setStatus(stopping || storeProblem != null ? 503 : 200);
                response.getHeaders().put("Content-Type", "application/json");
                response.write(true, StandardCharsets.UTF_8.encode(body), callback);
                return true;
            }
            if (path.equals("/metrics")) {
                response.getHeaders().put("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                response.write(true, StandardCharsets.UTF_8.encode(metrics.scrape()), callback);
                return true;
            }
            Response.writeError(request, response, callback, 404, "not found; rooms are WebSocket endpoints at /rooms/{room}");
            return true;
        }
    }
}
