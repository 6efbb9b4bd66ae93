package dev.tandem.hub;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.tandem.hub.store.ReplicaOwner;
import dev.tandem.hub.store.StoredNamedVersion;
import dev.tandem.protocol.Message;
import dev.tandem.protocol.Wire;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One message between hubs on the bus (docs/scale.md, "Messages between hubs"): a format byte,
 * a kind byte, the sending hub's id, then the kind's body. Decoding checks every field: the bus
 * is shared infrastructure, and a malformed message from it is dropped, never applied.
 *
 * @param kind what it is
 * @param hub the id of the hub that sent it (a hub ignores its own)
 * @param seq UPDATE: the store's sequence number of the entry; LEAVE, OWNER: the replica id
 * @param body UPDATE: the update bytes as stored; PEER: the {@code peer} message clients get;
 *     OWNER: the owner as JSON; NAMED: the named version as JSON; otherwise empty
 */
record BusMessage(Kind kind, long hub, long seq, byte[] body) {
    static final byte FORMAT = 1;
    private static final int HEADER = 2 + Long.BYTES;
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true);

    enum Kind {
        /** A log entry another hub committed (so it is durable before any other hub sees it). */
        UPDATE(true),
        /** A member of the room joined that hub or changed its presence. */
        PEER(false),
        /** A member of the room left that hub. */
        LEAVE(true),
        /** A replica id of the room was bound to its owner (in the store). */
        OWNER(true),
        /** A version of the room was named (and stored). */
        NAMED(false),
        /** A hub just started serving the room (or lost the bus a while): hubs answer with their members. */
        HELLO(false),
        /** An admin deleted the room. */
        DELETED(false),
        /** On the hubs' channel: the hub is alive (its members' presence stays). */
        HEARTBEAT(false),
        /** On the hubs' channel: the hub is stopping (its members' presence goes now). */
        BYE(false);

        final boolean hasNumber;

        Kind(boolean hasNumber) {
            this.hasNumber = hasNumber;
        }
    }

    static BusMessage update(long hub, long seq, byte[] bytes) {
        return new BusMessage(Kind.UPDATE, hub, seq, bytes);
    }

    static BusMessage peer(long hub, Message.PeerInfo peer) {
        return new BusMessage(Kind.PEER, hub, 0, Wire.write(new Message.PeerChanged(peer)).getBytes(StandardCharsets.UTF_8));
    }

    static BusMessage leave(long hub, long replica) {
        return new BusMessage(Kind.LEAVE, hub, replica, new byte[0]);
    }

    static BusMessage owner(long hub, long replica, ReplicaOwner owner) {
        return new BusMessage(Kind.OWNER, hub, replica, json(owner));
    }

    static BusMessage named(long hub, StoredNamedVersion named) {
        return new BusMessage(Kind.NAMED, hub, 0, json(named));
    }

    static BusMessage signal(Kind kind, long hub) {
        return new BusMessage(kind, hub, 0, new byte[0]);
    }

    byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(HEADER + (kind.hasNumber ? Long.BYTES : 0) + body.length);
        b.put(FORMAT).put((byte) kind.ordinal()).putLong(hub);
        if (kind.hasNumber) b.putLong(seq);
        b.put(body);
        return b.array();
    }

    /** Whether {@code bytes} is a message of this format sent by {@code hub} (read without decoding the rest). */
    static boolean isFrom(byte[] bytes, long hub) {
        return bytes.length >= HEADER && bytes[0] == FORMAT && ByteBuffer.wrap(bytes, 2, Long.BYTES).getLong() == hub;
    }

    /**
     * @throws IllegalArgumentException if {@code bytes} is not a message of this format: too
     *     short, another format, an unknown kind, or a body that does not parse
     */
    static BusMessage decode(byte[] bytes) {
        if (bytes.length < HEADER) throw new IllegalArgumentException("bus message of " + bytes.length + " bytes is shorter than its header");
        if (bytes[0] != FORMAT) throw new IllegalArgumentException("bus message format " + bytes[0] + ", this hub reads " + FORMAT);
        int k = bytes[1];
        if (k < 0 || k >= Kind.values().length) throw new IllegalArgumentException("unknown bus message kind " + k);
        Kind kind = Kind.values()[k];
        ByteBuffer b = ByteBuffer.wrap(bytes, 2, bytes.length - 2);
        long hub = b.getLong();
        long number = 0;
        if (kind.hasNumber) {
            if (b.remaining() < Long.BYTES) throw new IllegalArgumentException("bus message " + kind + " is truncated");
            number = b.getLong();
        }
        byte[] body = Arrays.copyOfRange(bytes, b.position(), bytes.length);
        BusMessage m = new BusMessage(kind, hub, number, body);
        switch (kind) {
            case UPDATE -> {
                if (number < 1) throw new IllegalArgumentException("bus update with sequence number " + number);
                if (body.length == 0) throw new IllegalArgumentException("bus update without bytes");
            }
            case PEER -> m.peerInfo();
            case OWNER -> m.replicaOwner();
            case NAMED -> m.namedVersion();
            default -> {
                if (body.length != 0) throw new IllegalArgumentException("bus message " + kind + " carries " + body.length + " unexpected bytes");
            }
        }
        return m;
    }

    /** PEER: the peer, checked as a client's presence is. */
    Message.PeerInfo peerInfo() {
        Message parsed;
        try {
            parsed = Wire.read(new String(body, StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("bus peer message does not parse: " + e.getMessage(), e);
        }
        if (!(parsed instanceof Message.PeerChanged changed) || changed.peer() == null) {
            throw new IllegalArgumentException("bus peer message is not a peer message");
        }
        Message.PeerInfo p = changed.peer();
        try {
            Wire.parseReplica(p.replica(), "peer.replica");
            Wire.checkName(p.name());
            Wire.checkColor(p.color());
            Wire.checkState(p.state());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("bus peer message: " + e.getMessage(), e);
        }
        return p;
    }

    /** PEER: the text clients are sent. */
    String peerText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    ReplicaOwner replicaOwner() {
        ReplicaOwner o = parse(ReplicaOwner.class);
        if (o.owner() == null || o.owner().isEmpty() || o.name() == null) throw new IllegalArgumentException("bus owner message without owner or name");
        return o;
    }

    StoredNamedVersion namedVersion() {
        StoredNamedVersion n = parse(StoredNamedVersion.class);
        if (n.name() == null || n.version() == null || n.by() == null) throw new IllegalArgumentException("bus named version without name, version or author");
        try {
            Wire.checkVersionName(n.name());
            dev.tandem.crdt.Version.decode(n.version());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("bus named version: " + e.getMessage(), e);
        }
        return n;
    }

    private <T> T parse(Class<T> type) {
        try {
            T value = JSON.readValue(body, type);
            if (value == null) throw new IllegalArgumentException("bus " + kind + " message is null");
            return value;
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("bus " + kind + " message does not parse: " + e.getMessage(), e);
        }
    }

    private static byte[] json(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + value.getClass().getSimpleName(), e);
        }
    }
}
