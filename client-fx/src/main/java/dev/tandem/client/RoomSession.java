package dev.tandem.client;

import dev.tandem.crdt.Anchor;
import dev.tandem.crdt.CrdtFormatException;
import dev.tandem.crdt.Doc;
import dev.tandem.crdt.UndoManager;
import dev.tandem.crdt.Update;
import dev.tandem.sync.LocalStore;
import dev.tandem.sync.ReplicaSecret;
import dev.tandem.sync.Peer;
import dev.tandem.sync.SyncClient;
import dev.tandem.sync.SyncConfig;
import dev.tandem.sync.SyncListener;
import dev.tandem.sync.SyncStatus;
import javafx.animation.PauseTransition;
import javafx.stage.Stage;
import javafx.util.Duration;
import org.fxmisc.richtext.model.StyledDocument;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
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
 * <p>If the session replica refuses a local edit (the UI replica has diverged from it, which only
 * a bug can do), the sync client hands over its snapshot: the UI replica is rebuilt from it with a
 * new replica id and the editor with it, in order with the remote updates around it, and the
 * status bar says so.
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
    /** Undo stacks are encoded at most this often while typing (and on close): not on every keystroke. */
    private static final Duration UNDO_SAVE_DELAY = Duration.millis(300);

    final RoomAddress address;     // where this process connects
    final RoomAddress invite;      // what others join with
    /** Whether {@link #address} names several hubs (the status bar then says which one is in use). */
    private final boolean severalHubs;
    final Access access;           // token and pinned certificate this process joins with
    RoomWindow window;             // FX thread; a new one when the UI replica is rebuilt
    private final Stage stage;
    private final RoomWindow.Actions actions;
    private final SyncClient sync; // thread-safe
    private Doc doc;               // FX thread: the UI replica
    // FX thread: what the window shows, kept so a rebuilt window shows it too
    private String hostBanner;
    private RoomWindow.Inviter inviter;
    private boolean serverInTitle;
    private boolean offline;
    private String notice;
    private List<Peer> peers = List.of();
    private java.util.Map<Long, dev.tandem.sync.Author> authors = java.util.Map.of();
    private List<dev.tandem.sync.NamedVersion> namedVersions; // null: the hub does not keep them (or not told yet)
    private SyncStatus status;
    private final PauseTransition presenceDelay = new PauseTransition(PRESENCE_DELAY);
    private final PauseTransition typingOff = new PauseTransition(TYPING_FOR);
    private final PauseTransition idleAfter = new PauseTransition(IDLE_AFTER);
    private final PauseTransition undoSave = new PauseTransition(UNDO_SAVE_DELAY);
    private final OfflineCopy offlineCopy;
    private boolean typing;        // FX thread
    private boolean idle;          // FX thread
    private boolean closed;        // FX thread

    /** The session replica's state to rebuild the UI replica from, after it refused a local edit. */
    private record Rebuild(Doc doc, StyledDocument<Collection<String>, String, Collection<String>> view, String reason) {}

    private RoomSession(Stage stage, RoomAddress address, RoomAddress invite, Identity me, Access access, Loaded loaded,
                        OfflineCopy offlineCopy, RoomWindow.Actions actions) {
        this.address = address;
        this.invite = invite;
        this.severalHubs = dev.tandem.sync.HubAddresses.parse(address.server().toString()).size() > 1;
        this.access = access;
        this.stage = stage;
        this.actions = actions;
        this.notice = loaded.warning;
        this.offlineCopy = offlineCopy;
        undoSave.setOnFinished(e -> handOverUndo());
        showWindow(loaded.uiDoc, loaded.initialView, loaded.undo);

        // Remote updates and rebuilds share one queue: their order decides which updates the
        // rebuilt replica already has (those before) and which it must still apply (those after).
        FxThread.Batcher<Object> incoming = new FxThread.Batcher<>(FxThread.EXECUTOR, this::applyIncoming);
        FxThread.Batcher<List<Peer>> peerLists = new FxThread.Batcher<>(FxThread.EXECUTOR, b -> showPeers(b.get(b.size() - 1)));
        FxThread.Batcher<SyncStatus> statuses = new FxThread.Batcher<>(FxThread.EXECUTOR, b -> showStatus(b.get(b.size() - 1)));
        FxThread.Batcher<java.util.Map<Long, dev.tandem.sync.Author>> authorMaps =
                new FxThread.Batcher<>(FxThread.EXECUTOR, b -> showAuthors(b.get(b.size() - 1)));
        FxThread.Batcher<java.util.Optional<List<dev.tandem.sync.NamedVersion>>> namedLists =
                new FxThread.Batcher<>(FxThread.EXECUTOR, b -> showNamedVersions(b.get(b.size() - 1).orElse(null)));
        SyncListener listener = new SyncListener() {
            @Override public void onRemoteUpdate(Update update) { incoming.post(update); }
            @Override public void onPeers(List<Peer> list) { peerLists.post(list); }
            @Override public void onStatus(SyncStatus status) { statuses.post(status); }
            @Override public void onAuthors(java.util.Map<Long, dev.tandem.sync.Author> map) { authorMaps.post(map); }
            @Override public void onNamedVersions(List<dev.tandem.sync.NamedVersion> list) {
                namedLists.post(java.util.Optional.ofNullable(list));
            }
            @Override public void onLocalEditRejected(String reason, byte[] snapshot) {
                // Decoded here, off the FX thread; a new replica id (Doc.decode), as the contract asks.
                Doc rebuilt = Doc.decode(snapshot);
                incoming.post(new Rebuild(rebuilt, EditorBinding.prepare(rebuilt), reason));
            }
        };
        sync = SyncClient.start(SyncConfig.builder(address.server(), address.room(), loaded.sessionDoc)
                .replicaId(doc.replicaId()) // the id our edits carry: the UI replica's
                .user(me.name(), me.color())
                .localStore(offlineCopy)
                .replicaSecret(loaded.secret)
                .token(access.token())
                .trust(access.trust())
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
        stage.focusedProperty().addListener((obs, o, focused) -> {
            if (focused) activity();
            else {
                idle = true;
                schedulePresence();
            }
        });
        activity();
        stage.setOnHidden(e -> close());
    }

    /** Builds the room's window around the UI replica {@code d} (FX thread), showing what the old one showed. */
    private void showWindow(Doc d, StyledDocument<Collection<String>, String, Collection<String>> view, UndoManager undo) {
        if (window != null) window.dispose();
        doc = d;
        window = new RoomWindow(stage, invite, d, view, undo, this::submitLocal, actions);
        window.binding.addUndoListener(() -> {
            if (undoSave.getStatus() != javafx.animation.Animation.Status.RUNNING) undoSave.playFromStart();
        });
        window.binding.addLocalEditListener(() -> {
            typing = true;
            typingOff.playFromStart();
            activity();
        });
        window.area.caretPositionProperty().addListener((obs, o, n) -> schedulePresence());
        window.area.selectionProperty().addListener((obs, o, n) -> schedulePresence());
        window.setHostBanner(hostBanner);
        window.setInviter(inviter);
        window.setViewOnly(access.viewOnly());
        window.history.setAuthors(authors);
        // Past versions are read off the session replica, on the sync thread (it holds every
        // edit the UI replica has): a big document's past is never computed on the FX thread.
        window.history.setReader(new HistoryPanel.Reader() {
            @Override
            public <T> CompletableFuture<T> read(java.util.function.Function<Doc, T> work) {
                return sync.read(work);
            }
        });
        showNamedVersions(namedVersions);
        window.workOffline.setSelected(offline);
        showTitle();
        if (notice != null) window.status.setNotice(notice);
        if (status != null) showStatus(status);
        showPeers(peers);
    }

    /**
     * Opens a room: reads the offline copy on {@code io}, then (on the FX thread) builds the window
     * and starts syncing. The future completes on the FX thread.
     */
    static CompletableFuture<RoomSession> open(Stage stage, RoomAddress address, RoomAddress invite, Identity me,
                                               Path dataDir, Executor io, RoomWindow.Actions actions) {
        return open(stage, address, invite, me, Access.NONE, dataDir, io, actions);
    }

    /** Opens a room with a token and a pinned certificate (see {@link Access}). */
    static CompletableFuture<RoomSession> open(Stage stage, RoomAddress address, RoomAddress invite, Identity me, Access access,
                                               Path dataDir, Executor io, RoomWindow.Actions actions) {
        OfflineCopy copy = new OfflineCopy(replicaFile(dataDir, address));
        return CompletableFuture.supplyAsync(() -> load(copy), io)
                .thenApplyAsync(loaded -> new RoomSession(stage, address, invite, me, access, loaded, copy, actions), FxThread.EXECUTOR);
    }

    static Path replicaFile(Path dataDir, RoomAddress address) {
        return dataDir.resolve("rooms").resolve(address.storageName() + REPLICA_SUFFIX);
    }

    /** What the io thread hands to the FX thread (which owns the UI replica from then on). */
    private record Loaded(Doc uiDoc, UndoManager undo, Doc sessionDoc, String warning, String secret,
                          StyledDocument<Collection<String>, String, Collection<String>> initialView) {
        Loaded(Doc uiDoc, UndoManager undo, Doc sessionDoc, String warning, String secret) {
            this(uiDoc, undo, sessionDoc, warning, secret, EditorBinding.prepare(uiDoc));
        }

        static Loaded empty(String warning, String secret) {
            Doc ui = new Doc();
            return new Loaded(ui, new UndoManager(ui), new Doc(), warning, secret);
        }
    }

    /**
     * The replica secret beside the offline copy ({@code ROOM.tandem.secret}): a hub running
     * --auth none binds this client's replica ids to it, so the copy's unsent edits (made under
     * an earlier run's replica id) are still accepted as ours after a restart.
     */
    static Path secretFile(Path replicaFile) {
        return replicaFile.resolveSibling(replicaFile.getFileName() + ".secret");
    }

    /**
     * Reads the offline copy (io thread). Both replicas start from it. The UI replica keeps its old
     * id when its undo stacks were saved beside it (which says the snapshot holds every edit of that
     * id that left this machine, see {@link OfflineCopy}), else it takes a fresh one (never reuse an
     * id for new edits unless its whole state was reloaded); the session replica always takes a
     * fresh one, it makes no edits. The sync client announces the UI replica's id in hello (the
     * hub binds it to this copy's secret, or to the token's user). A corrupt file is kept aside,
     * never overwritten, and the room starts from the hub's copy.
     */
    private static Loaded load(OfflineCopy copy) {
        Path file = copy.file();
        byte[] bytes;
        String secret;
        try {
            secret = ReplicaSecret.loadOrCreate(secretFile(file));
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Loaded.empty(null, readSecret(file));
        } catch (IOException e) {
            throw new CompletionException(e);
        }
        try {
            OfflineCopy.Reopened ui = copy.read(bytes);
            return new Loaded(ui.doc(), ui.undo(), Doc.decode(bytes), null, secret);
        } catch (CrdtFormatException e) {
            Path aside = file.resolveSibling(file.getFileName() + ".corrupt-" + Instant.now().toEpochMilli());
            try {
                Files.move(file, aside, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException moveFailed) {
                throw new CompletionException(moveFailed);
            }
            return Loaded.empty("The offline copy was unreadable (" + e.getMessage()
                    + "); kept as " + aside.getFileName() + ", starting from the hub's copy.", secret);
        }
    }

    private static String readSecret(Path file) {
        try {
            return ReplicaSecret.loadOrCreate(secretFile(file));
        } catch (IOException e) {
            throw new CompletionException(e);
        }
    }

    private void submitLocal(Update update) {
        sync.submit(update);
    }

    /**
     * Hands the undo stacks to the offline copy, through the sync client's session thread: they
     * arrive after every edit submitted before them, so the replica saved with them holds every
     * character they name.
     */
    private void handOverUndo() {
        undoSave.stop();
        long id = doc.replicaId();
        byte[] stacks = window.binding.undoManager().encode();
        sync.edit(d -> {
            offlineCopy.offerStacks(id, stacks);
            return null;
        });
    }

    /** Remote updates and rebuilds, in the order the sync client reported them (FX thread). */
    private void applyIncoming(List<Object> items) {
        if (closed) return;
        List<Update> updates = new ArrayList<>();
        for (Object item : items) {
            if (item instanceof Rebuild r) {
                updates.clear(); // reported before the snapshot was taken: it has them
                rebuild(r);
            } else {
                updates.add((Update) item);
            }
        }
        if (!updates.isEmpty()) window.binding.applyRemote(updates);
    }

    private void rebuild(Rebuild r) {
        int caret = Math.min(window.area.getCaretPosition(), r.doc().length());
        boolean focused = window.area.isFocused();
        showWindow(r.doc(), r.view(), null);
        window.area.moveTo(caret);
        if (focused) window.area.requestFocus();
        notice = "An edit could not be applied and is not in the room: " + r.reason() + ". The editor now shows the room's text.";
        window.status.setNotice(notice);
    }

    /** Shows the hosting banner (null: none), in this window and any rebuilt one. */
    void setHostBanner(String text) {
        hostBanner = text;
        window.setHostBanner(text);
    }

    /** Who mints invites to this room (a room this process hosts), in this window and any rebuilt one. */
    void setInviter(RoomWindow.Inviter inviter) {
        this.inviter = inviter;
        window.setInviter(inviter);
    }

    /** Names the server in the title: when another open room has the same name on another server. */
    void setServerInTitle(boolean shown) {
        serverInTitle = shown;
        showTitle();
    }

    private void showTitle() {
        stage.setTitle(address.room() + (serverInTitle ? " (" + invite.server().getRawAuthority() + ")" : "") + " - Tandem");
    }

    private void showPeers(List<Peer> peers) {
        if (closed) return;
        this.peers = peers;
        List<PresenceViewModel.Row> rows = new ArrayList<>();
        List<RemoteCursors.Cursor> cursors = new ArrayList<>();
        for (Peer p : peers) {
            String id = Long.toHexString(p.replicaId());
            boolean self = p.self();
            // Only our own role is known here: the hub does not send the others' (see PresenceViewModel.Row).
            rows.add(new PresenceViewModel.Row(id, p.name(), p.color(), self, !p.idle(), p.typing(), self ? access.viewOnly() : p.viewer()));
            if (!self && p.cursor() != null) cursors.add(new RemoteCursors.Cursor(id, p.name(), p.color(), p.cursor(), p.selection()));
        }
        window.presence.update(rows);
        window.history.sawPeers(peers);
        window.cursors.update(cursors);
    }

    private void showAuthors(java.util.Map<Long, dev.tandem.sync.Author> map) {
        if (closed) return;
        authors = map;
        window.history.setAuthors(map);
    }

    /** The room's named versions; null: the hub does not keep them, so none can be named. */
    private void showNamedVersions(List<dev.tandem.sync.NamedVersion> list) {
        if (closed) return;
        namedVersions = list;
        window.history.setNamed(list == null ? List.of() : list);
        window.history.setNamer(list == null ? null : sync::nameVersion);
    }

    private void showStatus(SyncStatus s) {
        if (closed) return;
        status = s;
        StatusViewModel.Connection c = switch (s.state()) {
            case CONNECTED -> StatusViewModel.Connection.CONNECTED;
            case CONNECTING -> StatusViewModel.Connection.CONNECTING;
            case OFFLINE -> StatusViewModel.Connection.OFFLINE;
        };
        // With several hubs, which one: the user learns where a failover took the room.
        window.status.setHub(severalHubs && s.hub() != null ? s.hub().getRawAuthority() : null);
        window.status.setConnection(c, s.nextRetryMillis(), explain(s));
        window.status.setUnsent(s.unsentOps());
        window.status.setSaveError(s.saveError());
    }

    /**
     * The last error as the user should read it: a refused token means the invite is no longer
     * valid (expired, revoked by a new key, or for another room) and the client has stopped
     * retrying, which only a new invite can fix; a refused edit means the invite is a viewer's.
     */
    private String explain(SyncStatus s) {
        String error = s.lastError();
        if (error == null || s.retrying()) return error;
        if (error.startsWith("forbidden")) return "View only: this invite does not let you edit, and the edit was not accepted (" + error + ")";
        if (!error.startsWith("unauthorized")) return error;
        return access.token() != null
                ? "This invite is no longer valid: ask for a new one (" + error + ")"
                : "This hub admits only people with an invite: paste one on the start screen (" + error + ")";
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
        this.offline = offline;
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
        // Set before the stage closes: its hidden handlers call close() again and need the future.
        handOverUndo();
        closing = CompletableFuture.runAsync(() -> {
            sync.close();
            offlineCopy.flushStacks();
        });
        undoSave.stop();
        presenceDelay.stop();
        typingOff.stop();
        idleAfter.stop();
        window.dispose();
        if (stage.isShowing()) stage.close();
        return closing;
    }

    private CompletableFuture<Void> closing;
}
