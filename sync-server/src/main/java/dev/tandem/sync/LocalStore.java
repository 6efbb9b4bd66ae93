package dev.tandem.sync;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * Where a {@link SyncClient} keeps its replica between runs: the snapshot ({@code Doc.encode()})
 * is the whole offline state, unsent edits included. {@link SyncClient} saves before every push
 * (write-ahead) and shortly after every change, and retries a failed save until it succeeds.
 *
 * <p>Reload a saved snapshot with {@code Doc.decode(bytes)}, which gives the replica a fresh id:
 * after a failed save the file can lack edits the hub already holds under the old id, and new
 * edits under that id would then collide with them (see {@code SyncClient.push}).
 */
public interface LocalStore {

    /** The last saved snapshot, or null if none. */
    byte[] load() throws IOException;

    /** Replaces the snapshot; must be crash-safe (old or new, never a torn file). */
    void save(byte[] snapshot) throws IOException;

    /** A file store: each save is {@link #writeAtomically}. */
    static LocalStore file(Path file) {
        return new LocalStore() {
            @Override
            public byte[] load() throws IOException {
                return Files.exists(file) ? Files.readAllBytes(file) : null;
            }

            @Override
            public void save(byte[] snapshot) throws IOException {
                writeAtomically(file, snapshot);
            }
        };
    }

    /**
     * Replaces {@code file} with {@code bytes} crash-safely: writes a temporary file with a name of
     * its own in the same directory, forces it to disk, renames it over {@code file} atomically,
     * then forces the directory, so that the rename itself survives a power cut (until then the
     * directory entry may still name the old file). A reader, or a crash, sees the old content or
     * the new, never a mix; two writers never share a temporary file; a failed write leaves no
     * temporary file behind. The temporary file is readable by its owner only (and so is the
     * result).
     */
    static void writeAtomically(Path file, byte[] bytes) throws IOException {
        writeAtomically(file, bytes, false);
    }

    /**
     * As {@link #writeAtomically(Path, byte[])}, for a file meant for other people and programs
     * (an export): it keeps the permissions of the file it replaces, and a new one gets
     * {@code rw-r--r--}, as files a desktop program saves usually have.
     */
    static void writeShared(Path file, byte[] bytes) throws IOException {
        writeAtomically(file, bytes, true);
    }

    private static void writeAtomically(Path file, byte[] bytes, boolean shared) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
        try {
            if (shared && Files.getFileStore(tmp).supportsFileAttributeView(java.nio.file.attribute.PosixFileAttributeView.class)) {
                Files.setPosixFilePermissions(tmp, Files.exists(file)
                        ? Files.getPosixFilePermissions(file)
                        : java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) ch.write(b);
                ch.force(true);
            }
            // Within one directory a rename is atomic on every file system Java supports; if it
            // is not, fail rather than fall back to a copy a crash could tear.
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp); // gone already after the rename; left over only on failure
        }
        forceDirectory(dir);
    }

    private static void forceDirectory(Path dir) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(dir, StandardOpenOption.READ);
        } catch (IOException e) {
            // Windows cannot open a directory as a file; there the rename is as durable as the
            // file system's journal makes it. Anywhere else this is a real failure.
            if (System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows")) return;
            throw e;
        }
        try (ch) {
            ch.force(true);
        }
    }
}
