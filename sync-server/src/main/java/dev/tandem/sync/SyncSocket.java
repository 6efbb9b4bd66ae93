package dev.tandem.sync;

import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;

import java.nio.ByteBuffer;

/**
 * Internal: Jetty's listener for one connection attempt of a {@link SyncClient}. Public only
 * because Jetty instantiates listeners reflectively; not part of the API. Hands every event to
 * the client's session thread, tagged with the attempt it belongs to.
 */
public final class SyncSocket implements Session.Listener.AutoDemanding {
    private final SyncClient client;
    private final int attempt;

    SyncSocket(SyncClient client, int attempt) {
        this.client = client;
        this.attempt = attempt;
    }

    @Override
    public void onWebSocketOpen(Session session) {
        client.onOpen(attempt, session);
    }

    @Override
    public void onWebSocketText(String message) {
        client.onText(attempt, message);
    }

    @Override
    public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
        byte[] copy = new byte[payload.remaining()];
        payload.get(copy);
        callback.succeed();
        client.onBinary(attempt, copy);
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason) {
        client.onClosed(attempt, statusCode + (reason == null || reason.isEmpty() ? "" : " " + reason));
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        client.onClosed(attempt, cause.toString());
    }
}
