package dev.tandem.client;

import dev.tandem.crdt.Anchor;
import dev.tandem.crdt.CrdtFormatException;
import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Update;
import dev.tandem.sync.LocalStore;
import dev.tandem.sync.Peer;
import dev.tandem.sync.SyncClient;
import dev.tandem.sync.SyncConfig;
import dev.tandem.sync.SyncListener;
import dev.tandem.sync.SyncStatus;
import javafx.animation.PauseTransition;
import javafx.stage.Stage;
import javafx.util.Duration;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * One open room: its window, the UI's replica, and the sync client that owns the session
 * replica, the connection and the offline copy on disk.
 *
 * <p>Data flow (see docs/client.md): a local edit changes the UI replica at once (in
 * {@link EditorBinding}) and its {@link Update} is handed to {@link SyncClient#submit}, which
 * applies it to the session replica, saves, and sends it. Remote updates arrive on the sync thread,
 * are batched onto the FX thread by {@link FxThread.Batcher} and applied to the UI replica as
 * minimal patches. Both replicas converge because {@code apply} is idempotent and commutative.
 *
 * <p>Threading: created and used on the FX thread; the listener methods run on the sync thread
 * and only post to the FX thread.
 */
final class RoomSession {
    /** Who you are in the room. */
    record Identity(String name, String color) {}

    static final String REPLICA_SUFFIX = ".tandem";
    private static final Duration PRESENCE_DELAY = Duration.millis(50); // at most ~20 presence messages a second
    private static final Duration TYPING_FOR = Duration.millis(1500);
    private static final Duration IDLE_AFTER = Duration.minutes(2);

    final RoomAddress address;     // where this process connects
    final RoomWindow window;       // FX thread
    private final SyncClient sync; // thread-safe
    private final Doc doc;         // FX thread: the UI replica
    private final PauseTransition presenceDelay = new PauseTransition(PRESENCE_DELAY);
    private final PauseTransition typingOff = new PauseTransition(TYPING_FOR);
    private final PauseTransition idleAfter = new PauseTransition(IDLE_AFTER);
    private boolean typing;        // FX thread
    private boolean idle;          // FX thread
    private boolean closed;        // FX thread

    private RoomSession(Stage stage, RoomAddress address, RoomAddress invite, Identity me, Loaded loaded,
                        Path replicaFile, RoomWindow.Actions actions) {
        this.address = address;
        this.doc = loaded.uiDoc;
        window = new RoomWindow(stage, invite, doc, this::submitLocal, actions);
        if (loaded.warning != null) window.status.setConnection(StatusViewModel.Connection.CONNECTING, 0, loaded.warning);

        FxThread.Batcher<Update> remote = new FxThread.Batcher<>(FxThread.EXECUTOR, this::applyRemote);
        FxThread.Batcher<List<Peer>> peers = new FxThread.Batcher<>(FxThread.EXECUTOR, b -> showPeers(b.get(b.size() - 1)));
        FxThread.Batcher<SyncStatus> statuses = new FxThread.Batcher<>(FxThread.EXECUTOR, b -> showStatus(b.get(b.size() - 1)));
        SyncListener listener = new SyncListener() {
            @Override public void onRemoteUpdate(Update update) { remote.post(update); }
            @Override public void onPeers(List<Peer> list) { peers.post(list); }
            @Override public void onStatus(SyncStatus status) { statuses.post(status); }
        };
        sync = SyncClient.start(SyncConfig.builder(address.server(), address.room(), loaded.sessionDoc)
                .replicaId(doc.replicaId()) // the id our edits carry: the UI replica's
                .user(me.name(), me.color())
                .localStore(LocalStore.file(replicaFile))
                .build(), listener);

        presenceDelay.setOnFinished(e -> sendPresence());
        typingOff.setOnFinished(e -> {
            typing = false;
            schedulePresence();
        });
        idleAfter.setOnFinished(e -> {
            idle = true;
            schedulePresence();
        });
        window.binding.addLocalEditListener(() -> {
            typing = true;
            typingOff.playFromStart();
            activity();
        });
        window.area.caretPositionProperty().addListener((obs, o, n) -> schedulePresence());
        window.area.selectionProperty().addListener((obs, o, n) -> schedulePresence());
        window.stage.focusedProperty().addListener((obs, o, focused) -> {
            if (focused) activity();
            else {
                idle = true;
                schedulePresence();
            }
        });
        activity();
        window.stage.setOnHidden(e -> close());
    }

    /**
     * Opens a room: reads the offline copy on {@code io}, then (on the FX thread) builds the window
     * and starts syncing. The future completes on the FX thread.
     */
    static CompletableFuture<RoomSession> open(Stage stage, RoomAddress address, RoomAddress invite, Identity me,
                                               Path dataDir, Executor io, RoomWindow.Actions actions) {
        Path file = replicaFile(dataDir, address);
        return CompletableFuture.supplyAsync(() -> load(file), io)
                .thenApplyAsync(loaded -> new RoomSession(stage, address, invite, me, loaded, file, actions), FxThread.EXECUTOR);
    }

    static Path replicaFile(Path dataDir, RoomAddress address) {
        return dataDir.resolve("rooms").resolve(address.storageName() + REPLICA_SUFFIX);
    }

    private record Loaded(Doc uiDoc, Doc sessionDoc, String warning) {}

    /**
     * Reads the offline copy (io thread). Both replicas start from it, each with a fresh replica id
     * (never reuse an id for new edits unless its whole state was reloaded). Only the UI replica makes
     * edits; the sync client announces its id in hello. A corrupt file is kept aside, never
     * overwritten, and the room starts from the hub's copy.
     */
    private static Loaded load(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return new Loaded(new Doc(), new Doc(), null);
        } catch (IOException e) {
            throw new CompletionException(e);
        }
        try {
            return new Loaded(Doc.decode(bytes), Doc.decode(bytes), null);
        } catch (CrdtFormatException e) {
            Path aside = file.resolveSibling(file.getFileName() + ".corrupt-" + Instant.now().toEpochMilli());
            try {
                Files.move(file, aside, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException moveFailed) {
                throw new CompletionException(moveFailed);
            }
            return new Loaded(new Doc(), new Doc(), "The offline copy was unreadable (" + e.getMessage()
                    + "); kept as " + aside.getFileName() + ", starting from the hub's copy.");
        }
    }

    private void submitLocal(Update update) {
        sync.submit(update);
    }

    private void applyRemote(List<Update> updates) {
        if (closed) return;
        window.binding.applyRemote(updates);
    }

    private void showPeers(List<Peer> peers) {
        if (closed) return;
        List<PresenceViewModel.Row> rows = new ArrayList<>();
        List<RemoteCursors.Cursor> cursors = new ArrayList<>();
        for (Peer p : peers) {
            String id = Long.toHexString(p.replicaId());
            boolean self = p.self();
            rows.add(new PresenceViewModel.Row(id, p.name(), p.color(), self, !p.idle(), p.typing()));
            if (!self && p.cursor() != null) cursors.add(new RemoteCursors.Cursor(id, p.name(), p.color(), p.cursor(), p.selection()));
        }
        window.presence.update(rows);
        window.cursors.update(cursors);
    }

    private void showStatus(SyncStatus s) {
        if (closed) return;
        StatusViewModel.Connection c = switch (s.state()) {
            case CONNECTED -> StatusViewModel.Connection.CONNECTED;
            case CONNECTING -> StatusViewModel.Connection.CONNECTING;
            case OFFLINE -> StatusViewModel.Connection.OFFLINE;
        };
        window.status.setConnection(c, s.nextRetryMillis(), s.lastError());
        window.status.setUnsent(s.unsentOps());
    }

    private void activity() {
        idle = false;
        idleAfter.playFromStart();
        schedulePresence();
    }

    private void schedulePresence() {
        if (presenceDelay.getStatus() != javafx.animation.Animation.Status.RUNNING) presenceDelay.playFromStart();
    }

    private void sendPresence() {
        if (closed) return;
        Anchor[] a = window.binding.presenceAnchors();
        boolean hasSelection = window.area.getSelection().getLength() > 0;
        sync.setPresence(a[0], hasSelection ? a[1] : null, typing, idle);
    }

    /** Goes offline (keeps editing, saves locally) or back online. */
    void setOffline(boolean offline) {
        if (offline) sync.disconnect();
        else sync.reconnect();
    }

    /** The text the UI replica holds now (FX thread). */
    String text() {
        return doc.text();
    }

    SyncClient sync() {
        return sync;
    }

    /**
     * Closes the room: stops timers, then (off the FX thread) lets the sync client save and close.
     * The future completes when the offline copy is on disk.
     */
    CompletableFuture<Void> close() {
        if (closed) return closing;
        closed = true;
        presenceDelay.stop();
        typingOff.stop();
        idleAfter.stop();
        window.dispose();
        if (window.stage.isShowing()) window.stage.close();
        closing = CompletableFuture.runAsync(sync::close);
        return closing;
    }

    private CompletableFuture<Void> closing;
}
