package dev.tandem.hub;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.tandem.protocol.RoomNames;
import dev.tandem.protocol.Wire;

import java.net.SocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bus on Redis pub/sub (docs/scale.md says why pub/sub and not streams): one channel per
 * room ({@code tandem:room:} and the room's name), one for the hubs' heartbeats
 * ({@code tandem:hubs}). A message lost on the way (Redis restarting, a network blip, a
 * subscriber Redis cut off for being slow) is not re-sent by anyone: receivers notice the gap in
 * the store's sequence numbers, or the periodic check against the store does, and the room reads
 * what it missed from the store.
 *
 * <p>Threads: Lettuce's event loop delivers messages and connection events; they are handed to
 * the {@link Bus.Handler} at once. {@link #subscriptions} is guarded by its own lock, so that
 * SUBSCRIBE and UNSUBSCRIBE of one channel reach Redis in the order the counts changed.
 * {@link #lastHeard} is a concurrent map. Everything else is final.
 */
final class RedisBus implements Bus {
    private static final Logger log = LoggerFactory.getLogger(RedisBus.class);
    static final String ROOM_PREFIX = "tandem:room:";
    static final String HUBS = "tandem:hubs";
    /** Largest bus message taken: the largest update a hub accepts plus the header, and room for JSON bodies. */
    private final int maxMessageBytes;

    private final RedisClient client;
    private final StatefulRedisPubSubConnection<String, byte[]> sub;
    private final StatefulRedisConnection<String, byte[]> pub;
    private final Handler handler;
    private final long hubId = new SecureRandom().nextLong();
    private final String where;
    private final Duration presenceTtl;
    /** Rooms subscribed, with how many times (see {@link #subscribe}). */
    private final Map<String, Integer> subscriptions = new HashMap<>();
    /** Other hubs, by id: when a message of theirs last arrived (System.nanoTime). */
    private final Map<Long, Long> lastHeard = new ConcurrentHashMap<>();
    /** Hubs whose people left the rooms here because they were not heard from (not because they stopped). */
    private final java.util.Set<Long> declaredGone = ConcurrentHashMap.newKeySet();
    private final ScheduledFuture<?> ticker;
    private volatile boolean connectedOnce;
    private volatile boolean disconnected;
    private volatile boolean closed;
    /** Messages dropped because they did not decode; logged once per {@link #LOG_EVERY}. */
    private final AtomicLong dropped = new AtomicLong();
    private static final int LOG_EVERY = 1000;

    /** Tests only: when it returns true for a message about to be published, the message is dropped (a lost message). */
    static volatile java.util.function.BiPredicate<String, BusMessage> dropHook;

    private RedisBus(RedisURI uri, Handler handler, ScheduledExecutorService scheduler, Duration heartbeat, Duration presenceTtl, int maxMessageBytes) {
        this.handler = handler;
        this.presenceTtl = presenceTtl;
        this.maxMessageBytes = maxMessageBytes;
        this.where = uri.getHost() + ":" + uri.getPort();
        this.client = RedisClient.create(uri);
        // While Redis is away, publishing fails at once instead of queueing without bound:
        // anything lost then is read from the store once Redis is back.
        client.setOptions(ClientOptions.builder().autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS).build());
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress address) {
                connected(connection);
            }

            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
                if (closed) return;
                if (!disconnected) log.warn("bus: lost the connection to Redis at {}; reconnecting (edits still reach the other hubs through the store)", where);
                disconnected = true;
            }
        });
        RedisCodec<String, byte[]> codec = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);
        try {
            this.sub = client.connectPubSub(codec);
            this.pub = client.connect(codec);
        } catch (RuntimeException e) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            throw e;
        }
        connectedOnce = true;
        sub.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String channel, byte[] message) {
                received(channel, message);
            }
        });
        sub.sync().subscribe(HUBS);
        ticker = scheduler.scheduleWithFixedDelay(this::tick, heartbeat.toMillis(), heartbeat.toMillis(), TimeUnit.MILLISECONDS);
        log.info("bus: connected to Redis at {} as hub {}", where, Wire.replica(hubId));
    }

    /**
     * Connects to Redis at {@code url} ({@code redis://[:PASSWORD@]HOST:PORT[/DB]}, or
     * {@code rediss://} for TLS).
     *
     * @throws IllegalArgumentException if the address is not one
     * @throws io.lettuce.core.RedisConnectionException if Redis cannot be reached
     */
    static RedisBus connect(String url, Handler handler, ScheduledExecutorService scheduler, Duration heartbeat, Duration presenceTtl, int maxMessageBytes) {
        RedisURI uri;
        try {
            uri = RedisURI.create(url);
            if (!"redis".equals(uri.toURI().getScheme()) && !"rediss".equals(uri.toURI().getScheme())) throw new IllegalArgumentException("not a redis:// address");
            String password = System.getenv("TANDEM_BUS_PASSWORD");
            if (password != null && !password.isEmpty()) uri = RedisURI.builder(uri).withPassword(password.toCharArray()).build();
            uri.setTimeout(Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--bus must be redis://HOST:PORT (or rediss://), was " + Wire.quote(redact(url)) + ": " + e.getMessage(), e);
        }
        return new RedisBus(uri, handler, scheduler, heartbeat, presenceTtl, maxMessageBytes);
    }

    /** The address without a password, for messages and logs. */
    static String redact(String url) {
        return url == null ? null : url.replaceAll("//[^@/]*@", "//***@");
    }

    @Override
    public long hubId() {
        return hubId;
    }

    @Override
    public boolean shared() {
        return true;
    }

    @Override
    public void subscribe(String room) {
        var done = subscribeChannel(room);
        if (done == null) return;
        try {
            done.get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            // The room is served anyway: the reconnect (or the periodic check) reads what it misses.
            log.warn("bus: could not subscribe to room {} ({}); it catches up from the store until Redis answers", Wire.quote(room), e.toString());
        }
    }

    private io.lettuce.core.RedisFuture<Void> subscribeChannel(String room) {
        if (closed) return null;
        synchronized (subscriptions) {
            int n = subscriptions.merge(room, 1, Integer::sum);
            if (n > 1) return null;
            try {
                return sub.async().subscribe(ROOM_PREFIX + room);
            } catch (RuntimeException e) {
                // Redis away: the reconnect subscribes every counted room.
                log.debug("bus: subscribe to {} failed: {}", room, e.toString());
                return null;
            }
        }
    }

    @Override
    public void unsubscribe(String room) {
        if (closed) return;
        synchronized (subscriptions) {
            Integer n = subscriptions.get(room);
            if (n == null) return;
            if (n > 1) {
                subscriptions.put(room, n - 1);
                return;
            }
            subscriptions.remove(room);
            try {
                sub.async().unsubscribe(ROOM_PREFIX + room);
            } catch (RuntimeException e) {
                // The bus is closing (or Redis is away, when a reconnect subscribes only what is counted).
                log.debug("bus: unsubscribe from {} failed: {}", room, e.toString());
            }
        }
    }

    @Override
    public void publish(String room, BusMessage message) {
        send(ROOM_PREFIX + room, message);
    }

    private void send(String channel, BusMessage message) {
        if (closed) return;
        var hook = dropHook;
        if (hook != null && hook.test(channel, message)) return;
        try {
            pub.async().publish(channel, message.encode());
        } catch (RuntimeException e) {
            // Rejected while disconnected: lost, and healed from the store like any lost message.
            log.debug("bus: publish to {} failed: {}", channel, e.toString());
        }
    }

    private void received(String channel, byte[] bytes) {
        // Redis sends a hub its own messages too (it subscribes to the channels it publishes
        // on); they are skipped before anything is copied.
        if (BusMessage.isFrom(bytes, hubId)) return;
        BusMessage m;
        try {
            if (bytes.length > maxMessageBytes) throw new IllegalArgumentException("bus message of " + bytes.length + " bytes, above " + maxMessageBytes);
            m = BusMessage.decode(bytes);
        } catch (RuntimeException e) {
            long n = dropped.incrementAndGet();
            if (n % LOG_EVERY == 1) log.warn("bus: dropped a message on {} ({} so far): {}", Wire.quote(channel), n, e.getMessage());
            return;
        }
        if (m.hub() == hubId) return;
        if (lastHeard.put(m.hub(), System.nanoTime()) == null) {
            log.info("bus: hub {} is here", Wire.replica(m.hub()));
            // Back after being declared gone (its people left here): ask for them again, and
            // read from the store what was lost while it could not be heard.
            if (declaredGone.remove(m.hub())) handler.reconnected();
        }
        if (channel.equals(HUBS)) {
            if (m.kind() == BusMessage.Kind.BYE) gone(m.hub(), "stopped");
            return;
        }
        if (!channel.startsWith(ROOM_PREFIX)) return;
        String room = channel.substring(ROOM_PREFIX.length());
        if (RoomNames.problem(room) != null) return;
        if (m.kind() == BusMessage.Kind.HEARTBEAT || m.kind() == BusMessage.Kind.BYE) return;
        handler.roomMessage(room, m);
    }

    private void gone(long hub, String why) {
        if (lastHeard.remove(hub) == null) return;
        if (!why.equals("stopped")) {
            if (declaredGone.size() >= 1000) declaredGone.clear(); // hubs that never came back; bounded
            declaredGone.add(hub);
        }
        log.info("bus: hub {} {}; its people leave the rooms here", Wire.replica(hub), why);
        handler.hubGone(hub);
    }

    private void connected(RedisChannelHandler<?, ?> connection) {
        if (closed || !connectedOnce || connection != sub) return;
        disconnected = false;
        log.info("bus: reconnected to Redis at {}; subscribing again and catching up from the store", where);
        List<String> rooms;
        synchronized (subscriptions) {
            rooms = new ArrayList<>(subscriptions.keySet());
        }
        List<String> channels = new ArrayList<>(rooms.size() + 1);
        channels.add(HUBS);
        for (String r : rooms) channels.add(ROOM_PREFIX + r);
        sub.async().subscribe(channels.toArray(String[]::new)).whenComplete((ok, e) -> {
            if (e != null) log.warn("bus: subscribing again failed: {}", e.toString());
            handler.reconnected();
        });
    }

    /** On the scheduler: the heartbeat, and presence of hubs not heard from for the TTL. */
    private void tick() {
        send(HUBS, BusMessage.signal(BusMessage.Kind.HEARTBEAT, hubId));
        long now = System.nanoTime();
        for (Map.Entry<Long, Long> e : lastHeard.entrySet()) {
            if (now - e.getValue() > presenceTtl.toNanos()) gone(e.getKey(), "has not been heard from for " + presenceTtl.toMillis() + " ms");
        }
    }

    @Override
    public void close() {
        if (closed) return;
        try {
            pub.async().publish(HUBS, BusMessage.signal(BusMessage.Kind.BYE, hubId).encode()).get(2, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.debug("bus: could not say goodbye: {}", e.toString());
        }
        closed = true;
        ticker.cancel(false);
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
}
