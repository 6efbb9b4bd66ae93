package dev.tandem.hub;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.tandem.hub.store.RoomStore;
import dev.tandem.hub.store.RoomSummary;
import dev.tandem.hub.store.StoredRoom;
import dev.tandem.protocol.ProtocolException;
import dev.tandem.protocol.RoomNames;
import dev.tandem.protocol.Wire;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The admin endpoints over HTTP(S) on the hub's port (docs/hub.md "Administration"), for the
 * {@code admin} command. Every request needs {@code Authorization: Bearer} with an admin token;
 * a room outside the token's pattern is treated as absent from the listing and refused (403).
 * <ul>
 *   <li>{@code GET /admin/rooms}: JSON list of name, stored bytes, members, last activity</li>
 *   <li>{@code GET /admin/rooms/ROOM}: the room's text (text/plain, UTF-8)</li>
 *   <li>{@code DELETE /admin/rooms/ROOM}: members are told {@code room_deleted}; the stored room is deleted</li>
 *   <li>{@code POST /admin/rooms/ROOM/reset}: for a room whose stored state does not load (409
 *       otherwise): its stored bytes are written to {@code DATA/reset/} and the room deleted</li>
 * </ul>
 * With {@code --auth none} there are no admin endpoints (403): nothing would authenticate them.
 */
final class AdminEndpoints {
    private static final Logger log = LoggerFactory.getLogger(AdminEndpoints.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Hub hub;
    private final RoomStore store;
    private final RoomRegistry rooms;

    AdminEndpoints(Hub hub, RoomStore store, RoomRegistry rooms) {
        this.hub = hub;
        this.store = store;
        this.rooms = rooms;
    }

    /** Handles a request whose path starts with /admin/ (blocking: store reads). */
    void handle(Request request, Response response, Callback callback) throws Exception {
        String path = Request.getPathInContext(request);
        String method = request.getMethod();
        if (hub.config().security().auth() == HubSecurity.Auth.NONE) {
            reply(request, response, callback, 403, Map.of("error", "the admin endpoints need --auth token"));
            return;
        }
        Grant grant;
        try {
            grant = hub.admit(Hub.bearer(request.getHeaders().get("Authorization")), null);
        } catch (ProtocolException e) {
            reply(request, response, callback, 401, Map.of("error", e.getMessage()));
            return;
        }
        if (grant.role() != Grant.Role.ADMIN) {
            reply(request, response, callback, 403, Map.of("error", "an admin token is needed; this one is " + grant.role().wire()));
            return;
        }
        if (path.equals("/admin/rooms")) {
            if (!method.equals("GET")) {
                reply(request, response, callback, 405, Map.of("error", "GET only"));
                return;
            }
            List<Map<String, Object>> list = new ArrayList<>();
            for (RoomSummary r : store.list()) {
                if (!grant.covers(r.name())) continue;
                Room loaded = rooms.get(r.name());
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", r.name());
                m.put("bytes", r.storedBytes());
                m.put("members", loaded == null ? 0 : loaded.memberCount());
                m.put("lastActivity", r.lastActivity() == 0 ? null : Instant.ofEpochMilli(r.lastActivity()).toString());
                list.add(m);
            }
            reply(request, response, callback, 200, Map.of("rooms", list));
            return;
        }
        String rest = path.startsWith("/admin/rooms/") ? path.substring("/admin/rooms/".length()) : "";
        boolean reset = rest.endsWith("/reset");
        if (reset) rest = rest.substring(0, rest.length() - "/reset".length());
        String room = RoomNames.decode(rest);
        String problem = RoomNames.problem(room);
        if (rest.isEmpty() || problem != null) {
            reply(request, response, callback, 404, Map.of("error", rest.isEmpty() ? "not found" : problem));
            return;
        }
        if (!grant.covers(room)) {
            reply(request, response, callback, 403, Map.of("error", "the token is for rooms " + Wire.quote(grant.rooms()) + ", not " + Wire.quote(room)));
            return;
        }
        if (reset && method.equals("POST")) {
            reset(request, response, callback, room, grant);
        } else if (!reset && method.equals("GET")) {
            export(request, response, callback, room);
        } else if (!reset && method.equals("DELETE")) {
            boolean had = rooms.delete(room).get(30, TimeUnit.SECONDS);
            log.info("admin {} deleted room {}", Wire.quote(grant.userId()), Wire.quote(room));
            reply(request, response, callback, had ? 200 : 404, had ? Map.of("deleted", room) : Map.of("error", "no room " + Wire.quote(room)));
        } else {
            reply(request, response, callback, 405, Map.of("error", "GET or DELETE /admin/rooms/ROOM, POST /admin/rooms/ROOM/reset"));
        }
    }

    private void export(Request request, Response response, Callback callback, String room) throws Exception {
        // Pushes reach the store's queue before they are relayed: after this barrier, what is
        // read holds everything the room has applied so far.
        store.flush().get(30, TimeUnit.SECONDS);
        StoredRoom stored = store.read(room);
        if (stored == null) {
            reply(request, response, callback, 404, Map.of("error", "no room " + Wire.quote(room)));
            return;
        }
        String text;
        try {
            text = stored.decode().text();
        } catch (RuntimeException e) {
            reply(request, response, callback, 409, Map.of("error", "room " + Wire.quote(room) + " does not load (" + e.getMessage() + "); reset it"));
            return;
        }
        response.setStatus(200);
        response.getHeaders().put("Content-Type", "text/plain; charset=utf-8");
        response.write(true, StandardCharsets.UTF_8.encode(text), callback);
    }

    private void reset(Request request, Response response, Callback callback, String room, Grant grant) throws Exception {
        store.flush().get(30, TimeUnit.SECONDS);
        StoredRoom stored = store.read(room);
        if (stored == null) {
            reply(request, response, callback, 404, Map.of("error", "no room " + Wire.quote(room)));
            return;
        }
        try {
            stored.decode();
            reply(request, response, callback, 409, Map.of("error", "room " + Wire.quote(room) + " loads; reset is for a room that does not (delete it instead)"));
            return;
        } catch (RuntimeException | Error expected) {
            // Does not load: keep its bytes, then start it over.
        }
        java.nio.file.Path backup = backup(room, stored);
        rooms.delete(room).get(30, TimeUnit.SECONDS);
        log.warn("admin {} reset room {}; its unloadable state is kept in {}", Wire.quote(grant.userId()), Wire.quote(room), backup);
        reply(request, response, callback, 200, Map.of("reset", room, "backup", backup.toString()));
    }

    /**
     * Writes what a room stored to {@code DATA/reset/ROOM-MILLIS.bin}: for each part (snapshot,
     * held, then each log entry) a 4-byte big-endian length (-1: absent) and the bytes.
     */
    private java.nio.file.Path backup(String room, StoredRoom stored) throws java.io.IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        java.io.DataOutputStream out = new java.io.DataOutputStream(bytes);
        List<byte[]> parts = new ArrayList<>();
        parts.add(stored.snapshot());
        parts.add(stored.held());
        parts.addAll(stored.updates());
        for (byte[] p : parts) {
            out.writeInt(p == null ? -1 : p.length);
            if (p != null) out.write(p);
        }
        out.flush();
        java.nio.file.Path file = hub.config().dataDir().resolve("reset").resolve(RoomNames.encode(room) + "-" + System.currentTimeMillis() + ".bin");
        dev.tandem.sync.LocalStore.writeAtomically(file, bytes.toByteArray());
        return file;
    }

    private static void reply(Request request, Response response, Callback callback, int status, Object body) throws Exception {
        response.setStatus(status);
        response.getHeaders().put("Content-Type", "application/json");
        response.write(true, StandardCharsets.UTF_8.encode(JSON.writeValueAsString(body) + "\n"), callback);
    }
}
