package dev.tandem.client;

import dev.tandem.crdt.CrdtFormatException;
import dev.tandem.crdt.Doc;
import dev.tandem.crdt.UndoManager;
import dev.tandem.sync.LocalStore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A room's offline copy: the session replica's snapshot ({@code ROOM.tandem}) and, beside it, the
 * UI replica's undo stacks ({@code ROOM.tandem.undo}), so undo survives a restart.
 *
 * <p>The stacks name characters by replica id, so they only make sense for the UI replica
 * reloaded with its old id; and an id may only be reused if the snapshot holds every edit made
 * under it that anyone else may have (see {@link LocalStore}). Both hold because the stacks file
 * is written only right after a snapshot was saved (the sync client saves before each push), and
 * is deleted when a save fails: a stacks file on disk says "the snapshot beside me was saved
 * after every edit of my replica that left this machine".
 *
 * <p>Stacks file: 8 bytes, the replica id (big-endian), then {@link UndoManager#encode()}.
 *
 * <p>Threading: {@link #save} and {@link #offerStacks} run on the room's sync session thread (the
 * stacks are handed over through {@code SyncClient.edit}, so they come after every edit the FX
 * thread submitted before encoding them); {@link #load} on the io thread before the room opens.
 */
final class OfflineCopy implements LocalStore {
    static final String UNDO_SUFFIX = ".undo";
    /** Bigger stacks files are not read (100 steps of a few megabytes of deleted text at most). */
    static final long MAX_UNDO_BYTES = 64L << 20;

    private final Path file;
    private final Path undoFile;
    // Session thread; read by flushStacks after the session thread stopped (volatile for that hand-over).
    private volatile byte[] stacks;          // the newest stacks handed over, with their replica id
    private volatile boolean stacksWritten;
    private volatile boolean lastSaveFailed;

    OfflineCopy(Path file) {
        this.file = file;
        this.undoFile = file.resolveSibling(file.getFileName() + UNDO_SUFFIX);
    }

    Path file() {
        return file;
    }

    Path undoFile() {
        return undoFile;
    }

    @Override
    public byte[] load() throws IOException {
        return Files.exists(file) ? Files.readAllBytes(file) : null;
    }

    @Override
    public void save(byte[] snapshot) throws IOException {
        try {
            LocalStore.writeAtomically(file, snapshot);
        } catch (IOException e) {
            // The hub may get edits this snapshot lacks: the old id must not be reused after a restart.
            lastSaveFailed = true;
            stacksWritten = false;
            Files.deleteIfExists(undoFile);
            throw e;
        }
        lastSaveFailed = false;
        if (stacks != null && !stacksWritten) writeStacks();
    }

    /** The UI replica's newest undo stacks (session thread). Written with the next save, or at once if the snapshot on disk is current. */
    void offerStacks(long replicaId, byte[] encoded) {
        ByteBuffer b = ByteBuffer.allocate(8 + encoded.length).order(ByteOrder.BIG_ENDIAN);
        b.putLong(replicaId).put(encoded);
        stacks = b.array();
        stacksWritten = false;
    }

    /**
     * After the sync client closed (and saved if it had anything unsaved): writes stacks handed
     * over since its last save. The snapshot on disk holds every edit they name, unless a save
     * failed (then there is no stacks file, on purpose).
     */
    void flushStacks() {
        if (stacks == null || stacksWritten || lastSaveFailed) return;
        writeStacks();
    }

    private void writeStacks() {
        try {
            LocalStore.writeAtomically(undoFile, stacks);
            stacksWritten = true;
        } catch (IOException e) {
            // Losing undo history is better than failing the save of the text.
            System.err.println("tandem: cannot save the undo history: " + e.getMessage());
        }
    }

    /** What {@link #read} found: the UI replica (with its old id when the stacks could be read) and its undo manager. */
    record Reopened(Doc doc, UndoManager undo) {}

    /**
     * Reopens the UI replica from {@code snapshot} with the undo stacks saved beside it (io
     * thread). Without a usable stacks file (none, too big, unreadable, naming characters the
     * snapshot lacks) the replica gets a fresh id and an empty undo history.
     */
    Reopened read(byte[] snapshot) throws CrdtFormatException {
        byte[] saved = null;
        try {
            if (Files.size(undoFile) <= MAX_UNDO_BYTES) saved = Files.readAllBytes(undoFile);
        } catch (NoSuchFileException e) {
            // no history
        } catch (IOException e) {
            System.err.println("tandem: cannot read the undo history: " + e.getMessage());
        }
        if (saved != null && saved.length > 8) {
            long id = ByteBuffer.wrap(saved, 0, 8).order(ByteOrder.BIG_ENDIAN).getLong();
            try {
                Doc doc = Doc.decode(snapshot, id);
                byte[] encoded = java.util.Arrays.copyOfRange(saved, 8, saved.length);
                return new Reopened(doc, UndoManager.decode(encoded, doc, UndoManager.DEFAULT_GROUP_MILLIS,
                        UndoManager.DEFAULT_MAX_STEPS, System::currentTimeMillis));
            } catch (CrdtFormatException | IllegalArgumentException e) {
                System.err.println("tandem: the undo history could not be read (" + e.getMessage() + "); starting without it");
            }
        }
        Doc doc = Doc.decode(snapshot);
        return new Reopened(doc, new UndoManager(doc));
    }
}
