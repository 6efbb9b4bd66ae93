package dev.tandem.hub;

import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.WebSocketClient;

import dev.tandem.crdt.Version;
import dev.tandem.protocol.Message;
import dev.tandem.protocol.Wire;

import java.net.URI;
import java.nio.ByteBuffer;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A protocol-level test client that speaks raw frames (so it can misbehave) and records everything
 * it receives into a queue, like OkHttp's WebSocketRecorder.
 */
public final class RawClient implements AutoCloseable {
    public record Closed(int code, String reason) {}

    private static WebSocketClient jetty;

    private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    private Session session;

    static synchronized WebSocketClient jetty() throws Exception {
        if (jetty == null) {
            WebSocketClient c = new WebSocketClient();
            c.setMaxBinaryMessageSize(64L << 20);
            c.setMaxTextMessageSize(64L << 20);
            c.setMaxFrameSize(64L << 20);
            c.start();
            jetty = c;
        }
        return jetty;
    }

    public static RawClient connect(int port, String rawRoomPath) throws Exception {
        return connect(port, rawRoomPath, java.util.Map.of());
    }

    /** Connects with these headers on the upgrade request (Authorization, Origin, ...). */
    public static RawClient connect(int port, String rawRoomPath, java.util.Map<String, String> headers) throws Exception {
        URI uri = URI.create("ws://127.0.0.1:" + port + "/rooms/" + rawRoomPath);
        for (int attempt = 1; ; attempt++) {
            // A fresh recorder per attempt: a failed upgrade also reports an error to its listener.
            RawClient c = new RawClient();
            try {
                org.eclipse.jetty.websocket.client.ClientUpgradeRequest req = new org.eclipse.jetty.websocket.client.ClientUpgradeRequest();
                headers.forEach(req::setHeader);
                c.session = jetty().connect(c.new Listener(), uri, req).get(10, TimeUnit.SECONDS);
                return c;
            } catch (java.util.concurrent.ExecutionException e) {
                // Jetty's client may pick a pooled HTTP connection the hub just closed after a
                // 400: an I/O failure before any answer is retried; an HTTP refusal is not.
                if (!(e.getCause() instanceof java.io.IOException) || attempt == 3) throw e;
            }
        }
    }

    /** Connects and completes the handshake as {@code replica} with an empty document. */
    public static RawClient joined(int port, String room, long replica) throws Exception {
        RawClient c = connect(port, room);
        c.text(hello(replica, Version.EMPTY));
        c.expect(Message.Welcome.class);
        byte[] catchUp = c.nextBinary();
        assertEquals(0x03, catchUp[0]);
        return c;
    }

    public static String hello(long replica, Version v) {
        return Wire.write(new Message.Hello(Message.PROTOCOL, Wire.replica(replica), new Message.User("raw", "#112233"), Wire.version(v), null, secret(replica)));
    }

    /** The ownership secret this client sends for {@code replica} (another one makes it an impostor). */
    public static String secret(long replica) {
        return "raw-client-secret-" + Wire.replica(replica);
    }

    public void text(String s) throws Exception {
        Callback.Completable done = new Callback.Completable();
        session.sendText(s, done);
        done.get(10, TimeUnit.SECONDS);
    }

    public void binary(byte[] b) throws Exception {
        Callback.Completable done = new Callback.Completable();
        session.sendBinary(ByteBuffer.wrap(b), done);
        done.get(10, TimeUnit.SECONDS);
    }

    /** The next event, failing after 10 s. */
    public Object next() throws InterruptedException {
        Object e = events.poll(10, TimeUnit.SECONDS);
        assertNotNull(e, "nothing received within 10 s");
        return e;
    }

    public <M extends Message> M expect(Class<M> type) throws InterruptedException {
        while (true) {
            Object e = next();
            if (e instanceof String s) {
                Message m = Wire.read(s);
                if (type.isInstance(m)) return type.cast(m);
                if (m instanceof Message.PeerChanged || m instanceof Message.Leave || m instanceof Message.Authors) continue;
                fail("expected " + type.getSimpleName() + ", got " + s);
            } else {
                fail("expected " + type.getSimpleName() + ", got " + describe(e));
            }
        }
    }

    public byte[] nextBinary() throws InterruptedException {
        while (true) {
            Object e = next();
            if (e instanceof byte[] b) return b;
            if (e instanceof String s && !(Wire.read(s) instanceof Message.Ack)) {
                Message m = Wire.read(s);
                if (m instanceof Message.PeerChanged || m instanceof Message.Leave) continue;
            }
            if (e instanceof String) continue;
            fail("expected a binary frame, got " + describe(e));
        }
    }

    /** Reads until an error arrives, checks its code, then checks the connection closes with {@code closeCode}. */
    public Message.Error expectError(String code, int closeCode) throws InterruptedException {
        Message.Error error = null;
        while (true) {
            Object e = next();
            if (e instanceof String s && Wire.read(s) instanceof Message.Error err) {
                assertEquals(code, err.code(), "error code; message was: " + err.message());
                assertTrue(err.message() != null && !err.message().isBlank(), "error has a reason");
                error = err;
            } else if (e instanceof String s && Wire.read(s) instanceof Message.Ack ack) {
                fail("expected error " + code + ", but push " + ack.seq() + " was acknowledged");
            } else if (e instanceof Closed c) {
                assertNotNull(error, "closed (" + c + ") without an error message");
                assertEquals(closeCode, c.code(), "close code, reason " + c.reason());
                return error;
            }
        }
    }

    public Closed awaitClose() throws InterruptedException {
        while (true) {
            Object e = next();
            if (e instanceof Closed c) return c;
        }
    }

    public boolean isOpen() {
        return session.isOpen();
    }

    @Override
    public void close() {
        if (session != null && session.isOpen()) session.close(1000, "bye", Callback.NOOP);
    }

    private static String describe(Object e) {
        return e instanceof byte[] b ? "binary[" + b.length + "]" : String.valueOf(e);
    }

    public final class Listener implements Session.Listener.AutoDemanding {
        @Override
        public void onWebSocketText(String message) {
            events.add(message);
        }

        @Override
        public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
            byte[] b = new byte[payload.remaining()];
            payload.get(b);
            callback.succeed();
            events.add(b);
        }

        @Override
        public void onWebSocketClose(int statusCode, String reason) {
            events.add(new Closed(statusCode, reason));
        }

        @Override
        public void onWebSocketError(Throwable cause) {
            events.add(new Closed(1006, cause.toString()));
        }
    }
}
