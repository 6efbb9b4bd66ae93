package dev.tandem.client;

import dev.tandem.sync.DirectoryLock;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One running Tandem per profile (data directory): an exclusive OS lock ({@link DirectoryLock},
 * on {@code tandem.lock} in it), held for the life of the process. Two processes on one profile
 * would write the same offline copies (each with its own replica of the room, so one would
 * silently overwrite or fork the other's) and start two embedded hubs over one store. The OS drops
 * the lock when the process ends, however it ends, so a crash never leaves a profile locked.
 *
 * <p>Threads: any; {@link Main} takes the lock before the toolkit starts, {@link TandemApp} claims
 * it in {@code init()} (or takes it there when started some other way, as tests do).
 */
final class ProfileLock implements AutoCloseable {
    static final String FILE = DirectoryLock.FILE;
    /** Locks this process holds and no application has claimed yet, by profile. */
    private static final Map<Path, ProfileLock> UNCLAIMED = new ConcurrentHashMap<>();

    private final DirectoryLock lock;

    private ProfileLock(DirectoryLock lock) {
        this.lock = lock;
    }

    /** Takes the profile's lock, or returns null when another process (or this one) holds it. */
    static ProfileLock tryAcquire(Path dataDir) throws IOException {
        try {
            return new ProfileLock(DirectoryLock.acquire(dataDir));
        } catch (DirectoryLock.LockedException e) {
            return null;
        }
    }

    /** Takes the lock for this process and keeps it for the application to {@link #claim}. */
    static ProfileLock acquireForLaunch(Path dataDir) throws IOException {
        ProfileLock l = tryAcquire(dataDir);
        if (l != null) UNCLAIMED.put(l.dir(), l);
        return l;
    }

    /**
     * The lock for the application's profile: the one {@link #acquireForLaunch} took, or taken now.
     *
     * @throws IllegalStateException with the message users see when another Tandem has the profile
     */
    static ProfileLock claim(Path dataDir) throws IOException {
        ProfileLock taken = UNCLAIMED.remove(canonical(dataDir));
        if (taken != null) return taken;
        ProfileLock l = tryAcquire(dataDir);
        if (l == null) throw new IllegalStateException(alreadyRunning(dataDir));
        return l;
    }

    static String alreadyRunning(Path dataDir) {
        return "Tandem is already running with this profile (" + dataDir.toAbsolutePath().normalize() + ")";
    }

    Path dir() {
        return lock.dir();
    }

    private static Path canonical(Path dir) {
        try {
            return dir.toRealPath();
        } catch (IOException e) {
            return dir.toAbsolutePath().normalize();
        }
    }

    @Override
    public void close() {
        lock.close();
    }
}
