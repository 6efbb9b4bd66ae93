package dev.tandem.sync;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An exclusive lock on a directory, for one process at a time: an OS file lock on
 * {@code DIR/tandem.lock}, released by the OS when the process ends however it ends, so a crash
 * never leaves a directory locked. The file holds the owner's PID, host and start time, so whoever
 * is refused can name the process in the way. The hub locks its data directory with it, the
 * desktop client its profile.
 *
 * <p>The lock covers one byte far beyond the file's text (as SQLite does with its own locks), so
 * the text stays readable while the lock is held, on Windows too. Threads: any.
 */
public final class DirectoryLock implements AutoCloseable {
    /** The lock file's name inside the locked directory. */
    public static final String FILE = "tandem.lock";
    private static final long LOCK_POSITION = 1L << 30;

    /**
     * Directories locked by this JVM. Checked before the file is even opened: on POSIX systems
     * closing any descriptor of a file drops every lock the process holds on it, so a second
     * attempt from this process must not open (and close) the lock file at all.
     */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    /** Another process, or another user of this one, holds the lock. */
    public static final class LockedException extends Exception {
        private final String owner;

        LockedException(String owner) {
            super(owner.isEmpty() ? "locked by another process" : "locked by " + owner);
            this.owner = owner;
        }

        /** Who holds it, as its lock file says ("pid 123 on host, since ..."), or "" if unknown. */
        public String owner() {
            return owner;
        }
    }

    private final Path dir;
    private final FileChannel channel;
    private final FileLock lock;

    private DirectoryLock(Path dir, FileChannel channel, FileLock lock) {
        this.dir = dir;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the lock on {@code dir}, creating the directory if needed.
     *
     * @throws LockedException if another process, or another user in this one, holds it
     * @throws IOException if the directory or its lock file cannot be created or locked
     */
    public static DirectoryLock acquire(Path dir) throws LockedException, IOException {
        Files.createDirectories(dir);
        Path key = canonical(dir);
        if (!HELD.add(key)) throw new LockedException("pid " + ProcessHandle.current().pid() + " (this process)");
        FileChannel channel = null;
        try {
            channel = FileChannel.open(key.resolve(FILE), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock(LOCK_POSITION, 1, false);
            } catch (OverlappingFileLockException e) {
                lock = null; // held through another channel of this JVM; HELD should have caught it
            }
            if (lock == null) throw new LockedException(owner(channel));
            String me = "pid " + ProcessHandle.current().pid() + " on " + hostName() + ", since " + Instant.now();
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((me + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            channel.force(false);
            return new DirectoryLock(key, channel, lock);
        } catch (IOException | LockedException | RuntimeException e) {
            closeQuietly(channel);
            HELD.remove(key);
            throw e;
        }
    }

    /** The locked directory, as a real path. */
    public Path dir() {
        return dir;
    }

    /** Releases the lock (idempotent). */
    @Override
    public void close() {
        if (!channel.isOpen()) return;
        try {
            lock.release();
        } catch (IOException e) {
            // Closing the channel below releases it too.
        }
        closeQuietly(channel);
        HELD.remove(dir);
    }

    /** The owner line written by the process that holds the lock, or "" if unreadable. */
    private static String owner(FileChannel channel) {
        try {
            ByteBuffer b = ByteBuffer.allocate(256);
            channel.read(b, 0);
            String text = new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
            int nl = text.indexOf('\n');
            String line = (nl < 0 ? text : text.substring(0, nl)).strip();
            // Written by another process: shown to users and logged, so only plain characters pass.
            return line.codePoints().allMatch(c -> c >= 0x20 && c < 0x7f) ? line : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "an unknown host";
        }
    }

    private static Path canonical(Path dir) {
        try {
            return dir.toRealPath();
        } catch (IOException e) {
            return dir.toAbsolutePath().normalize();
        }
    }

    private static void closeQuietly(FileChannel c) {
        if (c == null) return;
        try {
            c.close();
        } catch (IOException e) {
            // nothing left to release
        }
    }
}
