package dev.tandem.chaos;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Update;
import dev.tandem.crdt.Version;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Base64;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A hostile or broken peer, talking to the hub directly with the JDK's own WebSocket client (not
 * the Tandem code): malformed JSON, unknown messages, wrong protocol version, binary frames where
 * none belong, updates that do not decode, pushes out of sequence, a bad room name, operations
 * forged for another live replica, and plain TCP garbage. Each attempt expects the hub's error
 * code from docs/protocol.md and a close; anything else is a problem.
 *
 * <p>Threads: used by one thread at a time (the garbage thread of the run).
 */
final class GarbageClient implements AutoCloseable {
    private static final Pattern CODE = Pattern.compile("\"code\"\\s*:\\s*\"([a-z_]+)\"");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private final FaultLog log;

    /** Sent in every hello: an editor token of the room attacked (the garbage passes the door). */
    private final String token;

    GarbageClient(FaultLog log, String token) {
        this.log = log;
        this.token = token;
    }

    /** The kinds of garbage, each with the error code the hub must answer. */
    enum Kind {
        BAD_JSON("bad_json"), UNKNOWN_TYPE("unknown_type"), BINARY_BEFORE_HELLO("bad_message"),
        WRONG_PROTOCOL("unsupported_version"), SECOND_HELLO("bad_message"), UNDECODABLE_PUSH("bad_update"),
        PUSH_OUT_OF_SEQUENCE("bad_message"), RELAY_FROM_CLIENT("bad_message"), BAD_ROOM("bad_room"),
        FORGED_REPLICA("replica_claimed"), PATH_TRAVERSAL("HTTP 400 or 404"), TCP_GARBAGE(null);

        final String expected;

        Kind(String expected) {
            this.expected = expected;
        }
    }

    /**
     * Runs one kind of garbage against the hub; returns false if the hub was down or was stopped
     * meanwhile (no verdict). A connection closed without the expected error while the same hub
     * kept running is a problem.
     */
    boolean attack(Kind kind, HubProcess hub, String room, Random rnd) throws Exception {
        int port = hub.port();
        int starts = hub.starts();
        if (port <= 0) return false;
        // HubProcess clears the port before it stops or kills the hub, so an unchanged port and
        // start count after a close mean this hub closed the connection by itself.
        java.util.function.BooleanSupplier sameHub = () -> hub.port() == port && hub.starts() == starts;
        if (kind == Kind.TCP_GARBAGE) return tcpGarbage(port, rnd);
        if (kind == Kind.PATH_TRAVERSAL) return pathTraversal(port, sameHub);
        // A name the HTTP layer lets through (a leading dot), so the hub itself must refuse it.
        String path = kind == Kind.BAD_ROOM ? "/rooms/.hidden" : "/rooms/" + room.replace(" ", "%20");
        Conn c = connect(port, path);
        if (c == null) return unreachable(kind, sameHub);
        Conn other = null;
        try {
            long me = rnd.nextLong() | 1;
            switch (kind) {
                case BAD_JSON -> c.ws.sendText("{\"type\": \"hello\", \"protocol\": 1, " + "\u0000garbage", true);
                case UNKNOWN_TYPE -> c.ws.sendText("{\"type\":\"launch_missiles\"}", true);
                case BINARY_BEFORE_HELLO -> c.ws.sendBinary(ByteBuffer.wrap(randomBytes(rnd, 40)), true);
                case WRONG_PROTOCOL -> c.ws.sendText(hello(7, me), true);
                case SECOND_HELLO -> {
                    c.ws.sendText(hello(dev.tandem.protocol.Message.PROTOCOL, me), true).join();
                    c.ws.sendText(hello(dev.tandem.protocol.Message.PROTOCOL, me), true);
                }
                case UNDECODABLE_PUSH -> {
                    c.ws.sendText(hello(dev.tandem.protocol.Message.PROTOCOL, me), true).join();
                    c.ws.sendBinary(push(1, randomBytes(rnd, 30)), true);
                }
                case PUSH_OUT_OF_SEQUENCE -> {
                    c.ws.sendText(hello(dev.tandem.protocol.Message.PROTOCOL, me), true).join();
                    c.ws.sendBinary(push(5, Update.empty().encode()), true);
                }
                case RELAY_FROM_CLIENT -> {
                    c.ws.sendText(hello(dev.tandem.protocol.Message.PROTOCOL, me), true).join();
                    ByteBuffer b = ByteBuffer.allocate(10).put((byte) 0x02).put(randomBytes(rnd, 9));
                    c.ws.sendBinary(b.flip(), true);
                }
                case BAD_ROOM -> c.ws.sendText(hello(dev.tandem.protocol.Message.PROTOCOL, me), true);
                case FORGED_REPLICA -> {
                    // A second connection holds replica `owner`; this one pushes operations in its name.
                    long owner = rnd.nextLong() | 1;
                    other = connect(port, path);
                    if (other == null) return false;
                    other.ws.sendText(hello(dev.tandem.protocol.Message.PROTOCOL, owner), true).join();
                    if (!other.welcomed.get(10, TimeUnit.SECONDS)) return closedWithoutError(kind, "the owner's hello", sameHub, other);
                    c.ws.sendText(hello(dev.tandem.protocol.Message.PROTOCOL, me), true).join();
                    if (!c.welcomed.get(10, TimeUnit.SECONDS)) return closedWithoutError(kind, "the forger's hello", sameHub, c);
                    Update forged = new Doc(owner).insert(0, "FORGED-" + Long.toHexString(owner));
                    c.ws.sendBinary(push(1, forged.encode()), true);
                }
                default -> throw new IllegalArgumentException(kind.toString());
            }
            String code;
            try {
                code = c.error.get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                if (!sameHub.getAsBoolean()) return false; // stopped or killed meanwhile: no verdict
                log.problem("garbage " + kind + ": no error from the hub within 10 s");
                return true;
            }
            if (code == null) return closedWithoutError(kind, "the garbage", sameHub, c);
            // A SIGTERM during the attempt answers everything with shutting_down: no verdict.
            if (code.equals("shutting_down") && !sameHub.getAsBoolean()) return false;
            if (!kind.expected.equals(code)) {
                log.problem("garbage " + kind + ": hub answered " + code + ", expected " + kind.expected);
            }
            Integer closeCode = c.closed.completeOnTimeout(-1, 10, TimeUnit.SECONDS).get();
            if (Integer.valueOf(-1).equals(closeCode)) log.problem("garbage " + kind + ": hub sent " + code + " but did not close the connection");
            log.fault("garbage-client", kind + " -> " + code + ", close " + closeCode);
            log.count("garbage " + kind + " answered " + code + " " + closeCode, 1);
            return true;
        } finally {
            c.abort();
            if (other != null) other.abort();
        }
    }

    /** An encoded path traversal must be refused before the upgrade, with HTTP 400 or 404. */
    private boolean pathTraversal(int port, java.util.function.BooleanSupplier sameHub) throws InterruptedException {
        Conn c = new Conn();
        try {
            c.ws = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(3))
                    .buildAsync(URI.create("ws://127.0.0.1:" + port + "/rooms/..%2F..%2Fetc"), c).get(5, TimeUnit.SECONDS);
            c.abort();
            log.problem("garbage PATH_TRAVERSAL: the hub upgraded /rooms/..%2F..%2Fetc to a WebSocket");
            return true;
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof java.net.http.WebSocketHandshakeException refused) {
                int status = refused.getResponse().statusCode();
                if (status != 400 && status != 404) log.problem("garbage PATH_TRAVERSAL: the hub answered HTTP " + status + ", expected 400 or 404");
                log.fault("garbage-client", "PATH_TRAVERSAL -> HTTP " + status);
                log.count("garbage PATH_TRAVERSAL answered HTTP " + status, 1);
                return true;
            }
            return unreachable(Kind.PATH_TRAVERSAL, sameHub);
        } catch (java.util.concurrent.TimeoutException e) {
            return unreachable(Kind.PATH_TRAVERSAL, sameHub);
        }
    }

    /** Could not connect at all: no verdict if the hub was stopped meanwhile, else a problem. */
    private boolean unreachable(Kind kind, java.util.function.BooleanSupplier sameHub) {
        if (!sameHub.getAsBoolean()) return false;
        log.problem("garbage " + kind + ": could not connect to the hub, which was not stopped meanwhile");
        return true;
    }

    /** The connection closed before the hub answered: no verdict if the hub was stopped meanwhile, else a problem. */
    private boolean closedWithoutError(Kind kind, String after, java.util.function.BooleanSupplier sameHub, Conn c) {
        if (!sameHub.getAsBoolean()) return false;
        if (c.idleClosed()) {
            // The hub closes connections silent for --idle-timeout: a box stalled that long is not the hub's fault.
            log.count("garbage attempts closed idle before the hub answered (stalled box)", 1);
            return false;
        }
        log.problem("garbage " + kind + ": the hub closed the connection after " + after + " without the error " + kind.expected
                + " (and it was not stopped meanwhile)");
        return true;
    }

    private boolean tcpGarbage(int port, Random rnd) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            byte[] junk = randomBytes(rnd, 200 + rnd.nextInt(2000));
            out.write(junk);
            out.write("\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[4096];
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (System.nanoTime() < deadline) {
                if (in.read(buf) < 0) break; // the hub closed it: good
            }
            log.fault("garbage-client", "TCP_GARBAGE " + junk.length + " bytes");
            log.count("garbage TCP_GARBAGE answered by a close", 1);
            return true;
        } catch (IOException e) {
            // Reset by the hub is a fine answer to garbage; a refused connection means it is down.
            if (e instanceof java.net.ConnectException) return false;
            log.fault("garbage-client", "TCP_GARBAGE (" + e.getClass().getSimpleName() + ")");
            log.count("garbage TCP_GARBAGE answered by a reset", 1);
            return true;
        }
    }

    private String hello(int protocol, long replica) {
        return "{\"type\":\"hello\",\"protocol\":" + protocol + ",\"replica\":\"" + String.format("%016x", replica)
                + "\",\"user\":{\"name\":\"garbage\",\"color\":\"#000000\"},\"version\":\""
                + Base64.getEncoder().encodeToString(Version.EMPTY.encode()) + "\",\"token\":" + (token == null ? "null" : "\"" + token + "\"")
                + ",\"secret\":\"garbage-secret-" + String.format("%016x", replica) + "\"}";
    }

    private static ByteBuffer push(int seq, byte[] update) {
        return ByteBuffer.allocate(5 + update.length).put((byte) 0x01).putInt(seq).put(update).flip();
    }

    private static byte[] randomBytes(Random rnd, int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }

    private Conn connect(int port, String path) throws InterruptedException {
        Conn c = new Conn();
        try {
            c.ws = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(3))
                    .buildAsync(URI.create("ws://127.0.0.1:" + port + path), c).get(5, TimeUnit.SECONDS);
            return c;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return null;
        }
    }

    /** One raw connection: completes {@code error} with the first error code, {@code closed} with the close code. */
    private static final class Conn implements WebSocket.Listener {
        WebSocket ws;
        final CompletableFuture<String> error = new CompletableFuture<>();
        final CompletableFuture<Boolean> welcomed = new CompletableFuture<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        private volatile String closeReason = "";
        private final StringBuilder text = new StringBuilder();

        /** Closed by the hub's idle timeout (Jetty: 1001, "Connection Idle Timeout"). */
        boolean idleClosed() {
            return Integer.valueOf(1001).equals(closed.getNow(null)) && closeReason.contains("Idle");
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                String m = text.toString();
                text.setLength(0);
                if (m.contains("\"welcome\"")) welcomed.complete(true);
                Matcher code = CODE.matcher(m);
                if (m.contains("\"error\"") && code.find()) error.complete(code.group(1));
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closeReason = String.valueOf(reason);
            closed.complete(statusCode);
            error.complete(null);
            welcomed.complete(false);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable e) {
            closed.complete(null);
            error.complete(null);
            welcomed.complete(false);
        }

        void abort() {
            if (ws != null) ws.abort();
        }
    }

    @Override
    public void close() {
        // HttpClient has no close() before Java 21; its threads are daemons and go with the JVM.
    }
}
