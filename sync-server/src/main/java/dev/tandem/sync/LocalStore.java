package dev.tandem.sync;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Where a {@link SyncClient} keeps its replica between runs: the snapshot ({@code Doc.encode()})
 * is the whole offline state, unsent edits included. {@link SyncClient} saves before every push,
 * so anything the hub may have seen is on disk first.
 */
public interface LocalStore {

    /** The last saved snapshot, or null if none. */
    byte[] load() throws IOException;

    /** Replaces the snapshot; must be crash-safe (old or new, never a torn file). */
    void save(byte[] snapshot) throws IOException;

    /**
     * A file store: writes {@code file.tmp}, forces it to disk, then renames it over {@code file}
     * atomically.
     */
    static LocalStore file(Path file) {
        return new LocalStore() {
            @Override
            public byte[] load() throws IOException {
                return Files.exists(file) ? Files.readAllBytes(file) : null;
            }

            @Override
            public void save(byte[] snapshot) throws IOException {
                Path dir = file.toAbsolutePath().getParent();
                Files.createDirectories(dir);
                Path tmp = dir.resolve(file.getFileName() + ".tmp");
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(snapshot);
                    while (b.hasRemaining()) ch.write(b);
                    ch.force(true);
                }
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    throw new UncheckedIOException("cannot replace " + file + " atomically", e);
                }
            }
        };
    }
}
