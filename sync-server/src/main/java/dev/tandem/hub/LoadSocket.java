package dev.tandem.hub;

import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;

import java.nio.ByteBuffer;

/** Jetty listener of one simulated load client; public only because Jetty requires it. */
public final class LoadSocket implements Session.Listener.AutoDemanding {
    private final LoadCommand.Typist typist;

    LoadSocket(LoadCommand.Typist typist) {
        this.typist = typist;
    }

    @Override
    public void onWebSocketOpen(Session session) {
        typist.opened(session);
    }

    @Override
    public void onWebSocketText(String message) {
        typist.onText(message);
    }

    @Override
    public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
        byte[] b = new byte[payload.remaining()];
        payload.get(b);
        callback.succeed();
        typist.onBinary(b);
    }
}
