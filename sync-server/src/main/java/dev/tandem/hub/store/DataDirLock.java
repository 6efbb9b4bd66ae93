package dev.tandem.hub.store;

import dev.tandem.sync.DirectoryLock;

import java.io.IOException;
import java.nio.file.Path;

/** The store's exclusive lock on its data directory ({@link DirectoryLock}), with the hub's messages. */
final class DataDirLock {
    private final DirectoryLock lock;

    private DataDirLock(DirectoryLock lock) {
        this.lock = lock;
    }

    static DataDirLock acquire(Path dir) {
        try {
            return new DataDirLock(DirectoryLock.acquire(dir));
        } catch (DirectoryLock.LockedException e) {
            throw new DataDirectoryLockedException("data directory " + dir.toAbsolutePath() + " is already in use by another hub"
                    + (e.owner().isEmpty() ? "" : " (" + e.owner() + ")") + "; stop it first, or give this hub another data directory");
        } catch (IOException e) {
            throw new StoreException("cannot lock data directory " + dir.toAbsolutePath() + ": " + e, e);
        }
    }

    void release() {
        lock.close();
    }
}
