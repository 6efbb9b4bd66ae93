package dev.tandem.hub;

import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.tandem.crdt.Anchor;
import dev.tandem.crdt.CrdtFormatException;
import dev.tandem.crdt.Update;
import dev.tandem.crdt.Version;
import dev.tandem.protocol.ErrorCode;
import dev.tandem.protocol.Frames;
import dev.tandem.protocol.Message;
import dev.tandem.protocol.ProtocolException;
import dev.tandem.protocol.Wire;

import java.nio.ByteBuffer;

/**
 * The hub's end of one WebSocket: parses and checks what the client sends, then hands it to its
 * {@link Room}. Public only because Jetty instantiates listeners reflectively.
 *
 * <p>Threads: Jetty calls the {@code onWebSocket*} methods one at a time for a connection (the
 * "reader"); fields marked "reader" are only touched there. {@link Room} calls back on its
 * executor; fields it touches are marked "room".
 */
public final class HubConnection implements Session.Listener.AutoDemanding {
    private static final Logger log = LoggerFactory.getLogger(HubConnection.class);

    private final String roomName;
    /** Null when the requested room name was invalid: the connection only reports that and closes. */
    private final String roomProblem;
    private final Hub hub;
    /** The token of the upgrade's Authorization header, used if hello carries none. */
    private final String bearer;
    /** Set by the reader at hello; never changes after. */
    private volatile Grant grant;
    /** Who this connection is, for replica ownership (see ReplicaOwner.owner); set at hello. */
    private volatile dev.tandem.hub.store.ReplicaOwner owner;
    private volatile Session session;
    private volatile Outbox outbox;
    /** reader */
    private RateLimiter limiter;
    /** reader */
    private boolean helloSeen;
    /** reader */
    private long lastPushSeq;
    /** Set by the reader at hello, before the join task is queued; never changes after. */
    private volatile Room room;
    private volatile long replica;
    /** room */
    private Message.PeerInfo peer;
    private volatile boolean closed;

    HubConnection(Hub hub, String roomName, String roomProblem, String bearer) {
        this.hub = hub;
        this.bearer = bearer;
        this.roomName = roomName;
        this.roomProblem = roomProblem;
    }

    @Override
    public void onWebSocketOpen(Session s) {
        this.session = s;
        this.remote = String.valueOf(s.getRemoteSocketAddress());
        this.address = s.getRemoteSocketAddress() instanceof java.net.InetSocketAddress a && a.getAddress() != null
                ? a.getAddress().getHostAddress() : remote;
        HubConfig c = hub.config();
        s.setMaxTextMessageSize(c.maxMessageBytes());
        s.setMaxBinaryMessageSize(c.maxMessageBytes());
        s.setMaxFrameSize(c.maxMessageBytes());
        s.setIdleTimeout(c.idleTimeout());
        this.outbox = new Outbox(s, c.maxQueuedBytes(), c.maxQueuedMessages(), hub.metrics(), hub.writeLinger(), this::cutOff);
        this.limiter = new RateLimiter(c.messagesPerSecond(), c.messageBurst(), c.bytesPerSecond(), c.maxMessageBytes(), System.nanoTime());
        hub.opened(this);
        if (roomProblem != null) fail(ErrorCode.BAD_ROOM, roomProblem);
    }

    @Override
    public void onWebSocketText(String text) {
        if (closed) return;
        hub.metrics().textReceived(text.length());
        if (!limiter.tryAcquire(text.length(), System.nanoTime())) {
            fail(ErrorCode.RATE_LIMITED, "more than " + hub.config().messagesPerSecond() + " messages or "
                    + hub.config().bytesPerSecond() + " bytes per second");
            return;
        }
        try {
            Message m = Wire.read(text);
            if (m instanceof Message.Hello h) {
                hello(h);
            } else if (!helloSeen) {
                throw new ProtocolException(ErrorCode.BAD_MESSAGE, "the first message must be hello, got " + m.getClass().getSimpleName().toLowerCase());
            } else if (m instanceof Message.Presence p) {
                Message.PeerInfo info = new Message.PeerInfo(Wire.replica(replica), peerName(), peerColor(),
                        Wire.checkState(p.state()), p.typing(), checked(p.cursor(), "cursor"), checked(p.selection(), "selection"), viewerOrNull());
                Room r = room;
                r.exec.runOrExecute(() -> r.presence(this, info));
            } else if (m instanceof Message.NameVersion n) {
                // The same bar as an edit: naming a version is a change everyone sees.
                if (!grant.mayEdit()) throw new ProtocolException(ErrorCode.FORBIDDEN, "a viewer may not name versions in room \"" + roomName + "\"");
                String versionName = Wire.checkVersionName(n.name());
                Version v = Wire.parseVersion(n.version(), "name_version.version");
                if (v.size() > Message.MAX_NAMED_VERSION_REPLICAS) {
                    throw new ProtocolException(ErrorCode.BAD_MESSAGE, "name_version.version lists " + v.size() + " replicas, more than "
                            + Message.MAX_NAMED_VERSION_REPLICAS);
                }
                Room r = room;
                String by = peerName();
                r.exec.runOrExecute(() -> r.nameVersion(this, versionName, v, by));
            } else {
                throw new ProtocolException(ErrorCode.BAD_MESSAGE, "a client may not send " + m.getClass().getSimpleName().toLowerCase() + " messages");
            }
        } catch (ProtocolException e) {
            fail(e.code(), e.getMessage());
        }
    }

    @Override
    public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
        try {
            if (closed) return;
            int size = payload.remaining();
            if (!limiter.tryAcquire(size, System.nanoTime())) {
                fail(ErrorCode.RATE_LIMITED, "more than " + hub.config().messagesPerSecond() + " messages or "
                        + hub.config().bytesPerSecond() + " bytes per second");
                return;
            }
            if (!helloSeen) {
                fail(ErrorCode.BAD_MESSAGE, "the first message must be hello, got a binary frame");
                return;
            }
            if (!grant.mayEdit()) {
                // Nothing of it is decoded, applied, stored or relayed.
                fail(ErrorCode.FORBIDDEN, "a viewer may not edit room \"" + roomName + "\"");
                return;
            }
            if (size < Frames.PUSH_HEADER || payload.get(payload.position()) != Frames.PUSH) {
                fail(ErrorCode.BAD_MESSAGE, size == 0 ? "empty binary frame" : "a client may only send push frames (kind 0x01), got kind 0x"
                        + Integer.toHexString(payload.get(payload.position()) & 0xff) + (size < Frames.PUSH_HEADER ? " of " + size + " bytes" : ""));
                return;
            }
            long seq = Integer.toUnsignedLong(payload.getInt(payload.position() + 1));
            if (seq != lastPushSeq + 1) {
                fail(ErrorCode.BAD_MESSAGE, "push seq " + seq + " out of order, expected " + (lastPushSeq + 1));
                return;
            }
            lastPushSeq = seq;
            byte[] bytes = new byte[size - Frames.PUSH_HEADER];
            payload.get(payload.position() + Frames.PUSH_HEADER, bytes);
            hub.metrics().updateReceived(size);
            Update update;
            try {
                // Updates are deflated: bound what one message may inflate to, not just its size.
                update = Update.decode(bytes, (int) Math.min(Integer.MAX_VALUE - 8, 16L * hub.config().maxMessageBytes()));
            } catch (CrdtFormatException e) {
                fail(ErrorCode.BAD_UPDATE, "update does not decode: " + e.getMessage());
                return;
            }
            Room r = room;
            r.exec.runOrExecute(() -> r.push(this, seq, update, bytes));
        } finally {
            callback.succeed();
        }
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason) {
        closed();
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        log.debug("connection to room \"{}\" failed: {}", roomProblem == null ? roomName : "(invalid)", Wire.printable(cause.toString()));
        closed();
    }

    private void hello(Message.Hello h) {
        if (helloSeen) throw new ProtocolException(ErrorCode.BAD_MESSAGE, "hello was already received on this connection");
        if (h.protocol() == null) throw new ProtocolException(ErrorCode.BAD_MESSAGE, "hello.protocol is missing");
        if (h.protocol() != Message.PROTOCOL) {
            throw new ProtocolException(ErrorCode.UNSUPPORTED_VERSION, "protocol " + h.protocol() + " is not spoken here; this hub speaks [" + Message.PROTOCOL + "]");
        }
        // Per address, not per connection: reconnecting does not buy more joins (nor more token guesses).
        if (!hub.addressLimits().join(address, System.nanoTime())) {
            throw new ProtocolException(ErrorCode.TOO_MANY_CONNECTIONS, "more than " + hub.config().security().joinsPerIpPerMinute()
                    + " joins a minute from " + address);
        }
        // Before anything else of hello is looked at: an unauthorized client learns nothing more.
        Grant g = hub.admit(h.token() != null ? h.token() : bearer, roomName);
        long id = Wire.parseReplica(h.replica(), "hello.replica");
        if (id == 0) throw new ProtocolException(ErrorCode.BAD_MESSAGE, "hello.replica must not be 0");
        if (h.user() == null) throw new ProtocolException(ErrorCode.BAD_MESSAGE, "hello.user is missing");
        String claimed = Wire.checkName(h.user().name());
        // With tokens the name is the token's: a client cannot pass itself off as someone else.
        String name = g.name() != null ? g.name() : claimed;
        String color = Wire.checkColor(h.user().color());
        Version v = Wire.parseVersion(h.version(), "hello.version");
        dev.tandem.hub.store.ReplicaOwner me;
        if (g.userId() != null) {
            me = new dev.tandem.hub.store.ReplicaOwner("user:" + g.userId(), g.userId(), name);
        } else {
            // --auth none: the replica belongs to whoever knows its secret; only a hash is kept.
            String secret = h.secret();
            if (secret == null || secret.length() < 16 || secret.length() > 128 || !secret.matches("[A-Za-z0-9_-]+")) {
                throw new ProtocolException(ErrorCode.BAD_MESSAGE, "hello.secret must be 16..128 characters of A-Z a-z 0-9 _ - (the replica's ownership secret)");
            }
            me = new dev.tandem.hub.store.ReplicaOwner("secret:" + sha256(secret), null, name);
        }
        helloSeen = true;
        grant = g;
        owner = me;
        replica = id;
        Message.PeerInfo info = new Message.PeerInfo(Wire.replica(id), name, color, "active", false, null, null, viewerOrNull());
        peer = info;
        peerName = name;
        peerColor = color;
        room = hub.rooms().join(this, id, info, v);
    }

    private static String sha256(String s) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Who this connection is (set at hello). */
    dev.tandem.hub.store.ReplicaOwner owner() {
        return owner;
    }

    private static Message.WireAnchor checked(Message.WireAnchor a, String field) {
        Anchor parsed = Wire.parseAnchor(a, field);
        return Wire.anchor(parsed);
    }

    // The name and colour come from hello and never change; presence only changes the rest.
    private volatile String peerName;
    private volatile String peerColor;

    private String peerName() {
        return peerName;
    }

    private String peerColor() {
        return peerColor;
    }


    /** room */
    Message.PeerInfo peer() {
        return peer;
    }

    /** room */
    void setPeer(Message.PeerInfo p) {
        this.peer = p;
    }

    long replica() {
        return replica;
    }

    String roomName() {
        return roomName;
    }

    boolean isClosed() {
        return closed;
    }

    /** For tests: messages queued for this connection whose write has not completed. */
    int queuedMessages() {
        Outbox o = outbox;
        return o == null ? 0 : o.queuedMessages();
    }

    void send(String text) {
        Outbox o = outbox;
        if (o != null) o.send(text);
    }

    void send(ByteBuffer frame) {
        Outbox o = outbox;
        if (o != null) o.send(frame);
    }

    void ack(long seq) {
        Outbox o = outbox;
        if (o != null) o.ack(seq);
    }

    /** Sends the error, closes with its close code, and removes the connection from its room. */
    void fail(ErrorCode code, String message) {
        fail(code, message, code.retry());
    }

    /** Like {@link #fail(ErrorCode, String)} with {@code retry} instead of the code's usual value. */
    void fail(ErrorCode code, String message, boolean retry) {
        if (closed) return;
        hub.metrics().error(code);
        if (code != ErrorCode.SHUTTING_DOWN) {
            // The message quotes what the client sent (escaped); printable() covers anything else.
            log.info("room \"{}\" {}: {} ({})", roomProblem == null ? roomName : "(invalid)", remote(), code.wire(), Wire.printable(message));
        }
        Outbox o = outbox;
        if (o != null) {
            o.send(Wire.write(new Message.Error(code.wire(), message, retry,
                    code == ErrorCode.UNSUPPORTED_VERSION ? java.util.List.of(Message.PROTOCOL) : null)));
            o.close(code.closeCode(), shorten(code.wire() + ": " + message));
        }
        closed();
    }

    /** room: a newer connection of the same replica took this one's place. */
    void replaced() {
        if (closed) return;
        closed = true;
        Outbox o = outbox;
        if (o != null) o.close(4000, "replaced by a newer connection of the same replica");
        hub.closed(this);
    }

    private void cutOff() {
        log.info("room \"{}\" {}: connection dropped (slow consumer or failed write)", roomProblem == null ? roomName : "(invalid)", remote());
        closed();
    }

    private void closed() {
        if (closed) return;
        closed = true;
        hub.closed(this);
        Room r = room;
        if (r != null) r.exec.execute(() -> r.leave(this));
    }

    private volatile String remote = "?";
    /** The remote IP, the key of the per-address limits; set at open. */
    private volatile String address = "?";
    /** Set by Hub.opened when the address limit counted this connection. */
    volatile boolean addressCounted;

    String address() {
        return address;
    }

    private String remote() {
        return remote;
    }

    // A close reason must fit in 123 UTF-8 bytes.
    private static String shorten(String reason) {
        return reason.length() <= 120 ? reason : reason.substring(0, 117) + "...";
    }

    /** True for a viewer, for the others' presence sidebars; null (left out on the wire) otherwise. */
    private Boolean viewerOrNull() {
        Grant g = grant;
        return g != null && !g.mayEdit() ? Boolean.TRUE : null;
    }
}
