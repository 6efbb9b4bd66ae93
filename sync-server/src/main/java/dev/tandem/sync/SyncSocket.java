package dev.tandem.sync;

import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.exceptions.MessageTooLargeException;

import java.nio.ByteBuffer;

/**
 * Internal: Jetty's listener for one connection attempt of a {@link SyncClient}. Public only
 * because Jetty instantiates listeners reflectively; not part of the API. Hands every event to
 * the client's session thread, tagged with the attempt it belongs to.
 */
public final class SyncSocket implements Session.Listener.AutoDemanding {
    private final SyncClient client;
    private final int attempt;
    private final int maxMessageBytes;

    SyncSocket(SyncClient client, int attempt, int maxMessageBytes) {
        this.client = client;
        this.attempt = attempt;
        this.maxMessageBytes = maxMessageBytes;
    }

    @Override
    public void onWebSocketOpen(Session session) {
        // Before the first frame is read (Jetty demands it only after this returns): a frame or
        // message above the limit closes the connection with 1009 instead of being buffered.
        session.setMaxFrameSize(maxMessageBytes);
        session.setMaxBinaryMessageSize(maxMessageBytes);
        session.setMaxTextMessageSize(Math.min(maxMessageBytes, SyncConfig.MAX_TEXT_BYTES));
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
        if (cause instanceof MessageTooLargeException) {
            client.onClosed(attempt, "the hub sent a message larger than this client accepts (" + cause.getMessage() + " bytes)");
        } else {
            client.onClosed(attempt, cause.toString());
        }
    }
}
