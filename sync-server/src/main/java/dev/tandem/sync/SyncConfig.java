package dev.tandem.sync;

import dev.tandem.crdt.Doc;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.regex.Pattern;

/**
 * Settings of one {@link SyncClient}: immutable, made with {@link #builder(URI, String, Doc)} or,
 * for a room served by several hubs, {@link #builder(List, String, Doc)}. Every setter checks its
 * value at once and names it in the exception.
 */
public final class SyncConfig {
    private static final Pattern COLOR = Pattern.compile("#[0-9a-fA-F]{6}");
    /**
     * Default for the largest message accepted from the hub: twice the hub's default maximum room
     * size (64 MiB). The largest legitimate message is the catch-up of a whole room, and its
     * encoding is at most about the room's stored size (measured: a room built from 4 KiB pastes
     * of prose, stored as 16 MiB, catches up in 9 MiB).
     */
    static final int DEFAULT_MAX_MESSAGE_BYTES = 128 << 20;
    /**
     * Default for the decompressed size of one update from the hub: above the largest legitimate
     * one, a document at the format's limit of 2^26 characters (3 bytes of UTF-8 per character at
     * most, 192 MiB, plus the runs' bookkeeping), so a small compressed frame cannot make the
     * client allocate without bound.
     */
    static final int DEFAULT_MAX_DECODED_BYTES = 256 << 20;
    /** Text (JSON) messages are control messages: welcome with its peer list is the largest. */
    static final int MAX_TEXT_BYTES = 8 << 20;

    /** The hubs to try, in order (1..{@link HubAddresses#MAX}, checked). */
    final List<URI> hubs;
    final boolean firstHubFirst;
    final String room;
    final Doc doc;
    final long replicaId;
    final String userName;
    final String color;
    final LocalStore localStore;
    final String token;
    final String secret;
    final TlsTrust trust;
    final Duration initialBackoff;
    final Duration maxBackoff;
    final Random random;
    final Duration coalesce;
    final Duration pingInterval;
    final Duration idleTimeout;
    final Duration connectTimeout;
    final int maxMessageBytes;
    final int maxDecodedBytes;

    private SyncConfig(Builder b) {
        hubs = b.hubs;
        firstHubFirst = b.firstHubFirst;
        room = b.room;
        doc = b.doc;
        replicaId = b.replicaId != null ? b.replicaId : b.doc.replicaId();
        userName = b.userName;
        color = b.color;
        localStore = b.localStore;
        token = b.token;
        trust = b.trust;
        secret = b.secret != null ? b.secret : ReplicaSecret.generate();
        initialBackoff = b.initialBackoff;
        maxBackoff = b.maxBackoff;
        random = b.random;
        coalesce = b.coalesce;
        pingInterval = b.pingInterval;
        idleTimeout = b.idleTimeout;
        connectTimeout = b.connectTimeout;
        maxMessageBytes = b.maxMessageBytes;
        maxDecodedBytes = b.maxDecodedBytes;
    }

    /**
     * @param hub {@code ws://host:port} or {@code wss://host:port} (a path prefix is kept, {@code /rooms/ROOM} is appended);
     *     the short form of several, {@code ws://a:7070,b:7070} (see {@link HubAddresses}), names them all
     * @param room the room name (protocol rules: 1-64 of A-Z a-z 0-9 _ - and inner space or .)
     * @param doc the session replica; from now on only the client's session thread may touch it
     */
    public static Builder builder(URI hub, String room, Doc doc) {
        Objects.requireNonNull(hub, "hub");
        return new Builder(List.of(hub), room, doc);
    }

    /**
     * A room served by several hubs sharing its store (docs/protocol.md, "Several hubs"): the
     * client connects to one of them and, when that connection fails or is lost, tries the next
     * one in the list, round robin (see {@link Builder#firstHubFirst()} for where it starts).
     *
     * @param hubs 1..{@value HubAddresses#MAX} addresses as for {@link #builder(URI, String, Doc)}, none twice
     */
    public static Builder builder(List<URI> hubs, String room, Doc doc) {
        return new Builder(hubs, room, doc);
    }

    public static final class Builder {
        private final List<URI> hubs;
        private boolean firstHubFirst;
        private final String room;
        private final Doc doc;
        private Long replicaId;
        private String userName = "anonymous";
        private String color = "#808080";
        private LocalStore localStore;
        private String token;
        private String secret;
        private TlsTrust trust;
        private Duration initialBackoff = Duration.ofMillis(250);
        private Duration maxBackoff = Duration.ofSeconds(30);
        private Random random = new Random();
        private Duration coalesce = Duration.ofMillis(30);
        private Duration pingInterval = Duration.ofSeconds(5);
        private Duration idleTimeout = Duration.ofSeconds(15);
        private Duration connectTimeout = Duration.ofSeconds(10);
        private int maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
        private int maxDecodedBytes = DEFAULT_MAX_DECODED_BYTES;

        private Builder(List<URI> hubs, String room, Doc doc) {
            Objects.requireNonNull(hubs, "hubs");
            this.hubs = HubAddresses.check(hubs);
            String problem = dev.tandem.protocol.RoomNames.problem(room);
            if (problem != null) throw new IllegalArgumentException(problem);
            this.room = room;
            this.doc = Objects.requireNonNull(doc, "doc");
        }

        /**
         * With several hubs: connect to the first address first, instead of to one picked at
         * random. The default, random, spreads the clients given the same list over all the hubs
         * instead of piling them all on the first; choose this for a list ordered by preference
         * (a nearby hub, then a distant one). Either way a lost connection moves to the next
         * address, and the list wraps around.
         */
        public Builder firstHubFirst() {
            this.firstHubFirst = true;
            return this;
        }

        /** The replica id announced in hello: the id your local edits carry. Default: the doc's id. */
        public Builder replicaId(long id) {
            if (id == 0) throw new IllegalArgumentException("replica id must not be 0");
            this.replicaId = id;
            return this;
        }

        /** Display name, 1..64 characters. Default "anonymous". */
        public Builder user(String name, String color) {
            if (name == null || name.isBlank() || name.strip().length() > 64) throw new IllegalArgumentException("user name must be 1..64 characters, was " + name);
            if (color == null || !COLOR.matcher(color).matches()) throw new IllegalArgumentException("color must be #rrggbb, was " + color);
            this.userName = name.strip();
            this.color = color;
            return this;
        }

        /** Crash-safe snapshot store; saved before every push. Default: none (memory only). */
        public Builder localStore(LocalStore store) {
            this.localStore = store;
            return this;
        }

        /**
         * The signed access token a hub running {@code --auth token} needs (an invite carries
         * one), sent in hello. Default null: for hubs running {@code --auth none}.
         */
        public Builder token(String token) {
            if (token != null && (token.isBlank() || token.length() > 8192 || !token.matches("[A-Za-z0-9._~+/=-]+"))) {
                throw new IllegalArgumentException("a token is 1..8192 characters of a JWT (base64url and dots)");
            }
            this.token = token;
            return this;
        }

        /**
         * The secret that proves to a hub running {@code --auth none} that this client owns its
         * replica (the hub binds the replica to it at first use and stores only a hash). Keep it
         * beside the replica's offline copy ({@link ReplicaSecret#loadOrCreate}) so a restart
         * can still push the copy's unsent edits. Default: a fresh random one (fine for a replica
         * that lives in memory only).
         */
        public Builder replicaSecret(String secret) {
            ReplicaSecret.check(secret);
            this.secret = secret;
            return this;
        }

        /**
         * Which certificates a {@code wss://} hub may present: the system's CAs plus, with
         * {@link TlsTrust#withCertificate} or {@link TlsTrust#withFingerprint}, one pinned
         * certificate. Default: the system's CAs. A hub presenting anything else fails the
         * handshake (the status names its fingerprint); the client never falls back to ws://.
         */
        public Builder trust(TlsTrust trust) {
            this.trust = trust;
            return this;
        }

        /**
         * Reconnect delays: first {@code initial}, doubling up to {@code max}, each randomised to
         * 50-100 %. Default 250 ms, 30 s. With several hubs the delay doubles once per round of
         * the whole list: trying the next hub after losing one is not slowed by earlier failures.
         */
        public Builder backoff(Duration initial, Duration max) {
            if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) throw new IllegalArgumentException("backoff must be 0 < initial <= max, was " + initial + ", " + max);
            this.initialBackoff = initial;
            this.maxBackoff = max;
            return this;
        }

        /** Source of the backoff jitter (seed it in tests). */
        public Builder random(Random random) {
            this.random = Objects.requireNonNull(random, "random");
            return this;
        }

        /** How long submitted edits wait to be sent together. Default 30 ms; zero sends at once. */
        public Builder coalesce(Duration d) {
            if (d.isNegative()) throw new IllegalArgumentException("coalesce delay was " + d + ", must be >= 0");
            this.coalesce = d;
            return this;
        }

        /** Ping interval and how long a silent hub is tolerated. Default 5 s and 15 s. */
        public Builder heartbeat(Duration ping, Duration idleTimeout) {
            if (ping.isNegative() || ping.isZero() || idleTimeout.compareTo(ping) <= 0) throw new IllegalArgumentException("heartbeat needs 0 < ping < idle timeout, was " + ping + ", " + idleTimeout);
            this.pingInterval = ping;
            this.idleTimeout = idleTimeout;
            return this;
        }

        /** Time allowed for the TCP connect and WebSocket upgrade. Default 10 s. */
        public Builder connectTimeout(Duration d) {
            if (d.isNegative() || d.isZero()) throw new IllegalArgumentException("connect timeout was " + d + ", must be > 0");
            this.connectTimeout = d;
            return this;
        }

        /**
         * Bounds what the client accepts from the hub, as the hub bounds what it accepts from
         * clients: a WebSocket frame or message larger than {@code messageBytes} closes the
         * connection (1009) and is reported as the last error; an update whose decompressed body
         * exceeds {@code decodedBytes} is refused the same way. Either way nothing is applied or
         * saved, and the client retries with backoff. Default 128 MiB and 256 MiB (docs/client.md);
         * raise them for a hub whose rooms may grow beyond 64 MiB.
         */
        public Builder maxIncoming(int messageBytes, int decodedBytes) {
            if (messageBytes < 1024 || decodedBytes < 1024) throw new IllegalArgumentException("incoming limits must be >= 1024 bytes, were " + messageBytes + ", " + decodedBytes);
            this.maxMessageBytes = messageBytes;
            this.maxDecodedBytes = decodedBytes;
            return this;
        }

        public SyncConfig build() {
            return new SyncConfig(this);
        }
    }
}
