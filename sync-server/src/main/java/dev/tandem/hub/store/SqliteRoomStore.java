package dev.tandem.hub.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@link RoomStore} in one SQLite file ({@code DIR/tandem.db}) in WAL mode with
 * {@code synchronous=FULL}: a commit is on disk (fsync'd) when it returns, so an acknowledged
 * update survives a process kill and a power cut.
 *
 * <p>Group commit: one writer thread takes every write queued since its last commit and commits
 * them in one transaction, so the fsync cost is shared by all updates that arrived meanwhile
 * (many rooms, many clients) while each caller still learns of durability only after the commit.
 * Reads ({@link #open}) use a second connection, which WAL lets run beside the writer.
 */
public final class SqliteRoomStore implements RoomStore {
    private static final Logger log = LoggerFactory.getLogger(SqliteRoomStore.class);
    private static final int MAX_BATCH = 2000;
    /**
     * How long the first write of a batch waits for company before the commit. Acks are not on
     * the path of a relay (peers get updates before they are durable), so a few milliseconds here
     * cost no visible latency and cap the fsyncs at ~100 per second under any load. An fsync
     * costs this machine about 0.4 ms of CPU: fewer of them is most of what a busy store saves.
     */
    private static final long GROUP_WINDOW_NANOS = 10_000_000;

    private final Path file;
    private final BlockingQueue<Write> queue = new LinkedBlockingQueue<>();
    private final Thread writer;
    /** Owned by the writer thread. */
    private final Connection writeConnection;
    /** Guarded by itself. */
    private final Connection readConnection;
    private volatile boolean closing;

    private SqliteRoomStore(Path file, Connection writeConnection, Connection readConnection) {
        this.file = file;
        this.writeConnection = writeConnection;
        this.readConnection = readConnection;
        this.writer = new Thread(this::writeLoop, "tandem-store-writer");
        writer.setDaemon(true);
        writer.start();
    }

    /**
     * Opens (creating if needed) the store in {@code dir}.
     *
     * @throws StoreException if the directory or database cannot be opened, or is not a Tandem store
     */
    public static SqliteRoomStore open(Path dir) {
        Path file = dir.resolve("tandem.db");
        try {
            Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new StoreException("cannot create data directory " + dir + ": " + e.getMessage(), e);
        }
        Connection w = null;
        Connection r = null;
        try {
            w = DriverManager.getConnection("jdbc:sqlite:" + file, connectionProperties());
            try (Statement s = w.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=FULL");
                s.execute("PRAGMA busy_timeout=10000");
                s.execute("CREATE TABLE IF NOT EXISTS rooms (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
                        + "snapshot BLOB, snapshot_seq INTEGER NOT NULL DEFAULT 0)");
                s.execute("CREATE TABLE IF NOT EXISTS updates (room INTEGER NOT NULL, seq INTEGER NOT NULL, "
                        + "data BLOB NOT NULL, PRIMARY KEY (room, seq)) WITHOUT ROWID");
                // Proves the file is a readable database now, not at the first join.
                s.executeQuery("SELECT count(*) FROM rooms").close();
            }
            w.setAutoCommit(false);
            r = DriverManager.getConnection("jdbc:sqlite:" + file, connectionProperties());
            try (Statement s = r.createStatement()) {
                s.execute("PRAGMA busy_timeout=10000");
            }
            return new SqliteRoomStore(file, w, r);
        } catch (SQLException e) {
            closeQuietly(w);
            closeQuietly(r);
            throw new StoreException("cannot open store " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The driver would otherwise run {@code SELECT last_insert_rowid()} after every insert (a
     * fifth of the writer's time under load) to serve getGeneratedKeys, which nothing here calls.
     */
    private static java.util.Properties connectionProperties() {
        org.sqlite.SQLiteConfig config = new org.sqlite.SQLiteConfig();
        config.setGetGeneratedKeys(false);
        return config.toProperties();
    }

    @Override
    public StoredRoom open(String room) {
        try {
            Long key = null;
            byte[] snapshot = null;
            long snapshotSeq = 0;
            synchronized (readConnection) {
                try (PreparedStatement p = readConnection.prepareStatement("SELECT id, snapshot, snapshot_seq FROM rooms WHERE name = ?")) {
                    p.setString(1, room);
                    try (ResultSet rs = p.executeQuery()) {
                        if (rs.next()) {
                            key = rs.getLong(1);
                            snapshot = rs.getBytes(2);
                            snapshotSeq = rs.getLong(3);
                        }
                    }
                }
            }
            if (key == null) {
                CreateRoom create = new CreateRoom(room);
                submit(create);
                key = create.future.join();
                return new StoredRoom(key, null, List.of(), 0, 0);
            }
            List<byte[]> updates = new ArrayList<>();
            long lastSeq = snapshotSeq;
            long bytes = snapshot == null ? 0 : snapshot.length;
            synchronized (readConnection) {
                try (PreparedStatement p = readConnection.prepareStatement("SELECT seq, data FROM updates WHERE room = ? AND seq > ? ORDER BY seq")) {
                    p.setLong(1, key);
                    p.setLong(2, snapshotSeq);
                    try (ResultSet rs = p.executeQuery()) {
                        while (rs.next()) {
                            lastSeq = rs.getLong(1);
                            byte[] data = rs.getBytes(2);
                            bytes += data.length;
                            updates.add(data);
                        }
                    }
                }
            }
            return new StoredRoom(key, snapshot, updates, lastSeq, bytes);
        } catch (SQLException | java.util.concurrent.CompletionException e) {
            throw new StoreException("cannot read room \"" + room + "\" from " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public CompletableFuture<Void> append(long roomKey, long seq, byte[] update) {
        return submit(new Append(roomKey, seq, update)).future;
    }

    @Override
    public CompletableFuture<Void> compact(long roomKey, long uptoSeq, byte[] snapshot) {
        return submit(new Compact(roomKey, uptoSeq, snapshot)).future;
    }

    @Override
    public CompletableFuture<Void> flush() {
        return submit(new Barrier()).future;
    }

    @Override
    public void close() {
        if (closing) return;
        CompletableFuture<Void> last = flush();
        closing = true;
        try {
            last.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("store flush on close failed: {}", e.toString());
        }
        writer.interrupt();
        try {
            writer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (readConnection) {
            closeQuietly(readConnection);
        }
        // The writer thread has ended, so its statements may be closed here.
        for (PreparedStatement p : statements.values()) {
            try {
                p.close();
            } catch (SQLException e) {
                log.debug("closing statement: {}", e.toString());
            }
        }
        closeQuietly(writeConnection);
    }

    private <W extends Write> W submit(W write) {
        if (closing) {
            write.fail(new StoreException("store " + file + " is closed"));
        } else {
            queue.add(write);
        }
        return write;
    }

    private void writeLoop() {
        List<Write> batch = new ArrayList<>();
        while (true) {
            try {
                Write first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    if (closing && queue.isEmpty()) return;
                    continue;
                }
                batch.add(first);
                // Sleep through the window rather than waking for every write that joins it.
                long until = System.nanoTime() + GROUP_WINDOW_NANOS;
                for (long left = GROUP_WINDOW_NANOS; left > 0 && !closing && queue.size() < MAX_BATCH; left = until - System.nanoTime()) {
                    java.util.concurrent.locks.LockSupport.parkNanos(left);
                    if (Thread.interrupted()) throw new InterruptedException();
                }
                queue.drainTo(batch, MAX_BATCH - batch.size());
            } catch (InterruptedException e) {
                if (closing) {
                    queue.drainTo(batch);
                    if (batch.isEmpty()) return;
                } else {
                    continue;
                }
            }
            commit(batch);
            batch.clear();
        }
    }

    private void commit(List<Write> batch) {
        try {
            for (Write w : batch) w.execute(this);
            writeConnection.commit();
        } catch (SQLException | RuntimeException e) {
            log.error("store commit of {} writes failed: {}", batch.size(), e.toString());
            try {
                writeConnection.rollback();
            } catch (SQLException r) {
                log.error("store rollback failed: {}", r.toString());
            }
            StoreException failure = new StoreException("store write failed: " + e.getMessage(), e);
            for (Write w : batch) w.fail(failure);
            return;
        }
        for (Write w : batch) w.succeed();
    }

    /** Writer thread only: statements are compiled once and reused for every batch. */
    private final java.util.Map<String, PreparedStatement> statements = new java.util.HashMap<>();

    private PreparedStatement prepared(String sql) throws SQLException {
        PreparedStatement p = statements.get(sql);
        if (p == null) {
            p = writeConnection.prepareStatement(sql);
            statements.put(sql, p);
        }
        return p;
    }

    private static void closeQuietly(Connection c) {
        if (c == null) return;
        try {
            c.close();
        } catch (SQLException e) {
            log.warn("closing store connection: {}", e.toString());
        }
    }

    /** One queued write; execute runs on the writer thread inside the batch transaction. */
    private abstract static class Write {
        abstract void execute(SqliteRoomStore store) throws SQLException;

        abstract void succeed();

        abstract void fail(Throwable t);
    }

    private abstract static class VoidWrite extends Write {
        final CompletableFuture<Void> future = new CompletableFuture<>();

        @Override
        void succeed() {
            future.complete(null);
        }

        @Override
        void fail(Throwable t) {
            future.completeExceptionally(t);
        }
    }

    private static final class Append extends VoidWrite {
        final long room;
        final long seq;
        final byte[] data;

        Append(long room, long seq, byte[] data) {
            this.room = room;
            this.seq = seq;
            this.data = data;
        }

        @Override
        void execute(SqliteRoomStore store) throws SQLException {
            {
                PreparedStatement p = store.prepared("INSERT INTO updates (room, seq, data) VALUES (?, ?, ?)");
                p.setLong(1, room);
                p.setLong(2, seq);
                p.setBytes(3, data);
                p.executeUpdate();
            }
        }
    }

    private static final class Compact extends VoidWrite {
        final long room;
        final long upto;
        final byte[] snapshot;

        Compact(long room, long upto, byte[] snapshot) {
            this.room = room;
            this.upto = upto;
            this.snapshot = snapshot;
        }

        @Override
        void execute(SqliteRoomStore store) throws SQLException {
            {
                PreparedStatement p = store.prepared("UPDATE rooms SET snapshot = ?, snapshot_seq = ? WHERE id = ?");
                p.setBytes(1, snapshot);
                p.setLong(2, upto);
                p.setLong(3, room);
                if (p.executeUpdate() != 1) throw new SQLException("room " + room + " does not exist");
            }
            {
                PreparedStatement p = store.prepared("DELETE FROM updates WHERE room = ? AND seq <= ?");
                p.setLong(1, room);
                p.setLong(2, upto);
                p.executeUpdate();
            }
        }
    }

    private static final class Barrier extends VoidWrite {
        @Override
        void execute(SqliteRoomStore store) {}
    }

    private static final class CreateRoom extends Write {
        final String name;
        final CompletableFuture<Long> future = new CompletableFuture<>();
        long id;

        CreateRoom(String name) {
            this.name = name;
        }

        @Override
        void execute(SqliteRoomStore store) throws SQLException {
            {
                PreparedStatement p = store.prepared("INSERT OR IGNORE INTO rooms (name) VALUES (?)");
                p.setString(1, name);
                p.executeUpdate();
            }
            {
                PreparedStatement p = store.prepared("SELECT id FROM rooms WHERE name = ?");
                p.setString(1, name);
                try (ResultSet rs = p.executeQuery()) {
                    if (!rs.next()) throw new SQLException("room \"" + name + "\" vanished");
                    id = rs.getLong(1);
                }
            }
        }

        @Override
        void succeed() {
            future.complete(id);
        }

        @Override
        void fail(Throwable t) {
            future.completeExceptionally(t);
        }
    }
}
