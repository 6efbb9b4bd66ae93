package dev.tandem.hub.store;

/** Another hub (in this process or another one) has the data directory open; the message names both. */
public final class DataDirectoryLockedException extends StoreException {
    private static final long serialVersionUID = 1L;

    public DataDirectoryLockedException(String message) {
        super(message);
    }
}
