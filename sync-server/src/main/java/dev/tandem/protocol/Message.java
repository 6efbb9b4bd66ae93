package dev.tandem.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonTypeName;

import java.util.List;

/**
 * The JSON control messages of protocol v2 (text frames), exactly as on the wire: replica ids are
 * 16 hex digits, version vectors base64. {@link Wire} converts to and from crdt types and
 * validates. Field meanings: docs/protocol.md section 3.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(Message.Hello.class),
    @JsonSubTypes.Type(Message.Welcome.class),
    @JsonSubTypes.Type(Message.Presence.class),
    @JsonSubTypes.Type(Message.PeerChanged.class),
    @JsonSubTypes.Type(Message.Leave.class),
    @JsonSubTypes.Type(Message.Ack.class),
    @JsonSubTypes.Type(Message.Error.class),
    @JsonSubTypes.Type(Message.Authors.class),
    @JsonSubTypes.Type(Message.NameVersion.class),
    @JsonSubTypes.Type(Message.NamedVersions.class),
})
public sealed interface Message {

    /** The protocol version this build speaks. */
    int PROTOCOL = 2;

    /** The most replicas a named version's vector may list (name_version). */
    int MAX_NAMED_VERSION_REPLICAS = 4096;

    /** The most named versions a room keeps; a hub refuses one more (room_full, retry true). */
    int MAX_NAMED_VERSIONS = 100;

    /**
     * Client -> hub, first message on a connection. {@code token}: the signed access token (or
     * null, then the upgrade's Authorization header, or none with --auth none). {@code secret}:
     * the replica's ownership secret, which the hub binds the replica to under --auth none.
     */
    @JsonTypeName("hello")
    record Hello(Integer protocol, String replica, User user, String version, String token, String secret) implements Message {}

    record User(String name, String color) {}

    /**
     * Hub -> client, answer to hello; a binary catch-up frame follows at once. {@code authors}:
     * who owns each replica id of the room (absent from hubs before authorship).
     * {@code namedVersions}: the room's named versions (absent from hubs that do not keep them:
     * a client must then not send {@link NameVersion}).
     */
    @JsonTypeName("welcome")
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Welcome(int protocol, String room, String version, List<PeerInfo> peers, Limits limits, List<Author> authors,
                   List<NamedVersionInfo> namedVersions) implements Message {
        public Welcome(int protocol, String room, String version, List<PeerInfo> peers, Limits limits, List<Author> authors) {
            this(protocol, room, version, peers, limits, authors, null);
        }
    }

    /** Client -> hub: name the room's text at {@code version} (base64 version vector) {@code name}. */
    @JsonTypeName("name_version")
    record NameVersion(String name, String version) implements Message {}

    /**
     * A named version as the hub keeps it: its name, the version vector (base64), the display
     * name of who named it, and when the hub recorded it (milliseconds since the epoch).
     */
    record NamedVersionInfo(String name, String version, String by, long at) {}

    /** Hub -> client: every named version of the room, oldest first, after one was added. */
    @JsonTypeName("named_versions")
    record NamedVersions(List<NamedVersionInfo> versions) implements Message {}

    /**
     * The owner of a replica id: the token's user id (null under --auth none) and display name.
     * Every operation carrying this replica id was made by this user.
     */
    record Author(String replica, String user, String name) {}

    /** Hub -> client: replica ids newly bound to their owners (or an owner's new name), after the welcome. */
    @JsonTypeName("authors")
    record Authors(List<Author> authors) implements Message {}

    record Limits(long maxMessageBytes, long idleTimeoutMillis) {}

    /**
     * One peer in a room. {@code state} is "active" or "idle"; {@code viewer} is true for someone
     * whose token lets them only read (absent from hubs before it: false).
     */
    record PeerInfo(String replica, String name, String color, String state, boolean typing,
                    WireAnchor cursor, WireAnchor selection, Boolean viewer) {
        public PeerInfo(String replica, String name, String color, String state, boolean typing, WireAnchor cursor, WireAnchor selection) {
            this(replica, name, color, state, typing, cursor, selection, null);
        }
    }

    /** A sticky position: the fields of {@code dev.tandem.crdt.Anchor}, bias "left"/"right". */
    record WireAnchor(String replica, int seq, String bias) {}

    /** Client -> hub: this client's cursor, selection and typing state. */
    @JsonTypeName("presence")
    record Presence(WireAnchor cursor, WireAnchor selection, boolean typing, String state) implements Message {}

    /** Hub -> client: a peer joined or changed its presence. */
    @JsonTypeName("peer")
    record PeerChanged(PeerInfo peer) implements Message {}

    /** Hub -> client: a peer left. */
    @JsonTypeName("leave")
    record Leave(String replica) implements Message {}

    /** Hub -> client: every push with a sequence number up to {@code seq} is durable. */
    @JsonTypeName("ack")
    record Ack(long seq) implements Message {}

    /** Hub -> client: the connection is about to be closed for this reason. */
    @JsonTypeName("error")
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Error(String code, String message, boolean retry, List<Integer> supported) implements Message {}
}
