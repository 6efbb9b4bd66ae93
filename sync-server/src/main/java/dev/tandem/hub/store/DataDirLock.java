package dev.tandem.hub.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The exclusive lock on a data directory: an OS file lock on {@code DIR/tandem.lock}, held for as
 * long as the store is open and released by the OS if the process dies. The file holds the
 * owner's PID and host, so a refused hub can name the process in the way.
 *
 * <p>The lock covers one byte far beyond the file's text (as SQLite does with its own locks), so
 * the text stays readable while the lock is held, on Windows too. Threads: {@link #acquire} and
 * {@link #release} may be called from any thread.
 */
final class DataDirLock {
    private static final long LOCK_POSITION = 1L << 30;

    /**
     * Directories locked by this JVM. Checked before the file is even opened: on POSIX systems
     * closing any descriptor of a file drops every lock the process holds on it, so a second
     * attempt from this process must not open (and close) the lock file at all.
     */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path dir;
    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(Path dir, FileChannel channel, FileLock lock) {
        this.dir = dir;
        this.channel = channel;
        this.lock = lock;
    }

    static DataDirLock acquire(Path dir) {
        Path key = canonical(dir);
        if (!HELD.add(key)) {
            throw new DataDirectoryLockedException("data directory " + dir.toAbsolutePath() + " is already in use by another hub in this process (pid "
                    + ProcessHandle.current().pid() + ")");
        }
        Path file = key.resolve("tandem.lock");
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock(LOCK_POSITION, 1, false);
            } catch (OverlappingFileLockException e) {
                lock = null; // held through another channel of this JVM; HELD should have caught it
            }
            if (lock == null) {
                String owner = owner(channel);
                throw new DataDirectoryLockedException("data directory " + dir.toAbsolutePath() + " is already in use by another hub"
                        + (owner.isEmpty() ? "" : " (" + owner + ")") + "; stop it first, or give this hub another data directory");
            }
            String me = "pid " + ProcessHandle.current().pid() + " on " + hostName() + ", since " + Instant.now();
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((me + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            return new DataDirLock(key, channel, lock);
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            HELD.remove(key);
            if (e instanceof StoreException se) throw se;
            throw new StoreException("cannot lock data directory " + dir.toAbsolutePath() + " (" + file + "): " + e, e);
        }
    }

    void release() {
        try {
            lock.release();
        } catch (IOException e) {
            // Closing the channel below releases it too.
        }
        closeQuietly(channel);
        HELD.remove(dir);
    }

    /** The owner line written by the hub that holds the lock, or "" if unreadable. */
    private static String owner(FileChannel channel) {
        try {
            ByteBuffer b = ByteBuffer.allocate(256);
            channel.read(b, 0);
            String text = new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
            int nl = text.indexOf('\n');
            return (nl < 0 ? text : text.substring(0, nl)).strip();
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
