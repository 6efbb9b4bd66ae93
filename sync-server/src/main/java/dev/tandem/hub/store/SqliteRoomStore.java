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
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
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

    /** Rooms not read through {@link #open} have no key; their writes ({@link #flush()}, room creation) are global. */
    private static final long NO_ROOM = Long.MIN_VALUE;

    private final Path file;
    private final DataDirLock lock;
    private final BlockingQueue<Write> queue = new LinkedBlockingQueue<>();
    private final Thread writer;
    /** Owned by the writer thread. */
    private final Connection writeConnection;
    /** Guarded by itself. */
    private final Connection readConnection;
    /**
     * Rooms with a write that failed since they were last {@linkplain #open opened}: every later
     * write of theirs fails too, so nothing of the room is acknowledged after a write that was
     * lost. Added by the writer thread; removed by {@link #open}, which the hub calls only once
     * the failed room has left memory (after a flush, so all its writes have been settled).
     */
    private final Set<Long> failedRooms = ConcurrentHashMap.newKeySet();
    /** Why the last commit failed; null once a commit succeeds. Read by health checks. */
    private volatile String writeFailure;
    private volatile boolean closing;
    private final java.util.concurrent.atomic.AtomicBoolean closeCalled = new java.util.concurrent.atomic.AtomicBoolean();

    private SqliteRoomStore(Path file, DataDirLock lock, Connection writeConnection, Connection readConnection) {
        this.file = file;
        this.lock = lock;
        this.writeConnection = writeConnection;
        this.readConnection = readConnection;
        this.writer = new Thread(this::writeLoop, "tandem-store-writer");
        writer.setDaemon(true);
        writer.start();
    }

    /**
     * Opens (creating if needed) the store in {@code dir}, which it locks for as long as it is
     * open: one hub per data directory.
     *
     * @throws DataDirectoryLockedException if another store (in this or another process) has it open
     * @throws StoreException if the directory or database cannot be opened, or is not a Tandem store
     */
    public static SqliteRoomStore open(Path dir) {
        Path file = dir.resolve("tandem.db");
        try {
            Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new StoreException("cannot create data directory " + dir + ": " + e.getMessage(), e);
        }
        // Before SQLite touches the file: two writers on one store lose acknowledged edits.
        DataDirLock lock = DataDirLock.acquire(dir);
        Connection w = null;
        Connection r = null;
        try {
            w = DriverManager.getConnection("jdbc:sqlite:" + file, connectionProperties());
            try (Statement s = w.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=FULL");
                if (MAC) {
                    // macOS's fsync() leaves data in the drive's cache; only F_FULLFSYNC reaches
                    // the disk, and SQLite uses it only when asked.
                    s.execute("PRAGMA fullfsync=ON");
                    s.execute("PRAGMA checkpoint_fullfsync=ON");
                }
                s.execute("PRAGMA busy_timeout=10000");
                s.execute("CREATE TABLE IF NOT EXISTS rooms (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
                        + "snapshot BLOB, snapshot_seq INTEGER NOT NULL DEFAULT 0, held BLOB)");
                addColumn(s, "held", "BLOB");
                addColumn(s, "last_activity", "INTEGER NOT NULL DEFAULT 0");
                s.execute("CREATE TABLE IF NOT EXISTS updates (room INTEGER NOT NULL, seq INTEGER NOT NULL, "
                        + "data BLOB NOT NULL, PRIMARY KEY (room, seq)) WITHOUT ROWID");
                s.execute("CREATE TABLE IF NOT EXISTS replica_owners (room INTEGER NOT NULL, replica INTEGER NOT NULL, owner TEXT NOT NULL, "
                        + "user_id TEXT, name TEXT NOT NULL, PRIMARY KEY (room, replica)) WITHOUT ROWID");
                s.execute("CREATE TABLE IF NOT EXISTS named_versions (room INTEGER NOT NULL, seq INTEGER NOT NULL, name TEXT NOT NULL, "
                        + "version BLOB NOT NULL, by_name TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (room, seq)) WITHOUT ROWID");
                // Proves the file is a readable database now, not at the first join.
                s.executeQuery("SELECT count(*) FROM rooms").close();
            }
            r = DriverManager.getConnection("jdbc:sqlite:" + file, connectionProperties());
            try (Statement s = r.createStatement()) {
                s.execute("PRAGMA busy_timeout=10000");
            }
            return new SqliteRoomStore(file, lock, w, r);
        } catch (SQLException e) {
            closeQuietly(w);
            closeQuietly(r);
            lock.release();
            throw new StoreException("cannot open store " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Stores written by older versions lack the columns added since: held (held operations kept
     * apart from the snapshot), last_activity (the admin listing).
     */
    private static void addColumn(Statement s, String column, String type) throws SQLException {
        try (ResultSet rs = s.executeQuery("PRAGMA table_info(rooms)")) {
            while (rs.next()) {
                if (column.equals(rs.getString("name"))) return;
            }
        }
        s.execute("ALTER TABLE rooms ADD COLUMN " + column + " " + type);
        log.info("store: added the column rooms.{}", column);
    }

    private static final boolean MAC = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).startsWith("mac");

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
        StoredRoom stored = read(room);
        if (stored != null) return stored;
        try {
            CreateRoom create = new CreateRoom(room);
            submit(create);
            return new StoredRoom(create.future.join(), null, null, List.of(), 0, 0, java.util.Map.of(), List.of());
        } catch (java.util.concurrent.CompletionException e) {
            throw new StoreException("cannot create room \"" + room + "\" in " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public StoredRoom read(String room) {
        try {
            Long key = null;
            byte[] snapshot = null;
            byte[] held = null;
            long snapshotSeq = 0;
            synchronized (readConnection) {
                try (PreparedStatement p = readConnection.prepareStatement("SELECT id, snapshot, held, snapshot_seq FROM rooms WHERE name = ?")) {
                    p.setString(1, room);
                    try (ResultSet rs = p.executeQuery()) {
                        if (rs.next()) {
                            key = rs.getLong(1);
                            snapshot = rs.getBytes(2);
                            held = rs.getBytes(3);
                            snapshotSeq = rs.getLong(4);
                        }
                    }
                }
            }
            if (key == null) return null;
            failedRooms.remove(key);
            List<byte[]> updates = new ArrayList<>();
            long lastSeq = snapshotSeq;
            long bytes = (snapshot == null ? 0 : snapshot.length) + (held == null ? 0 : held.length);
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
            java.util.Map<Long, ReplicaOwner> owners = new java.util.HashMap<>();
            synchronized (readConnection) {
                try (PreparedStatement p = readConnection.prepareStatement("SELECT replica, owner, user_id, name FROM replica_owners WHERE room = ?")) {
                    p.setLong(1, key);
                    try (ResultSet rs = p.executeQuery()) {
                        while (rs.next()) owners.put(rs.getLong(1), new ReplicaOwner(rs.getString(2), rs.getString(3), rs.getString(4)));
                    }
                }
            }
            List<StoredNamedVersion> named = new ArrayList<>();
            synchronized (readConnection) {
                try (PreparedStatement p = readConnection.prepareStatement("SELECT name, version, by_name, at FROM named_versions WHERE room = ? ORDER BY seq")) {
                    p.setLong(1, key);
                    try (ResultSet rs = p.executeQuery()) {
                        while (rs.next()) named.add(new StoredNamedVersion(rs.getString(1), rs.getBytes(2), rs.getString(3), rs.getLong(4)));
                    }
                }
            }
            return new StoredRoom(key, snapshot, held, updates, lastSeq, bytes, owners, named);
        } catch (SQLException | java.util.concurrent.CompletionException e) {
            throw new StoreException("cannot read room \"" + room + "\" from " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public CompletableFuture<Void> bindReplica(long roomKey, long replica, ReplicaOwner owner) {
        return submit(new BindReplica(roomKey, replica, owner)).future;
    }

    @Override
    public CompletableFuture<Void> addNamedVersion(long roomKey, StoredNamedVersion named) {
        return submit(new AddNamedVersion(roomKey, named)).future;
    }

    @Override
    public List<RoomSummary> list() {
        List<RoomSummary> out = new ArrayList<>();
        synchronized (readConnection) {
            try (Statement s = readConnection.createStatement();
                 ResultSet rs = s.executeQuery("SELECT r.name, coalesce(length(r.snapshot), 0) + coalesce(length(r.held), 0)"
                         + " + coalesce((SELECT sum(length(u.data)) FROM updates u WHERE u.room = r.id), 0), r.last_activity FROM rooms r ORDER BY r.name")) {
                while (rs.next()) out.add(new RoomSummary(rs.getString(1), rs.getLong(2), rs.getLong(3)));
            } catch (SQLException e) {
                throw new StoreException("cannot list the rooms of " + file + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    @Override
    public long totalBytes() {
        synchronized (readConnection) {
            try (Statement s = readConnection.createStatement();
                 // Pages in use, not a sum over every blob: constant time, whatever the store's size.
                 ResultSet rs = s.executeQuery("SELECT (page_count - freelist_count) * page_size FROM pragma_page_count(), pragma_freelist_count(), pragma_page_size()")) {
                return rs.next() ? rs.getLong(1) : 0;
            } catch (SQLException e) {
                throw new StoreException("cannot measure " + file + ": " + e.getMessage(), e);
            }
        }
    }

    @Override
    public CompletableFuture<Boolean> delete(String room) {
        return submit(new DeleteRoom(room)).future;
    }

    @Override
    public CompletableFuture<Long> append(long roomKey, byte[] update) {
        return submit(new Append(roomKey, update)).future;
    }

    @Override
    public CompletableFuture<Void> compact(long roomKey, long uptoSeq, byte[] snapshot, byte[] held) {
        return submit(new Compact(roomKey, uptoSeq, snapshot, held)).future;
    }

    @Override
    public CompletableFuture<Void> flush() {
        return submit(new Barrier(NO_ROOM)).future;
    }

    @Override
    public CompletableFuture<Void> flush(long roomKey) {
        return submit(new Barrier(roomKey)).future;
    }

    @Override
    public String writeFailure() {
        return writeFailure;
    }

    @Override
    public void close() {
        if (!closeCalled.compareAndSet(false, true)) return;
        // Writes still come in until this barrier passes: a room's compaction is queued when its
        // last append completes (it needs that entry's number), which may be during this flush.
        CompletableFuture<Void> last = flush();
        try {
            last.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("store flush on close failed: {}", e.toString());
        }
        closing = true;
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
        closeStatements();
        closeQuietly(writeConnection);
        lock.release();
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
        List<Write> live = new ArrayList<>(batch.size());
        for (Write w : batch) {
            if (w.room != NO_ROOM && failedRooms.contains(w.room)) {
                w.fail(new StoreException("an earlier write of room " + w.room + " failed; nothing more of it is stored until it is reloaded"));
            } else {
                live.add(w);
            }
        }
        if (live.isEmpty()) return;
        // Transactions are begun and ended here, not by the driver: after SQLITE_FULL or an I/O
        // error SQLite may roll the transaction back by itself, and the driver's rollback() then
        // fails without beginning a new one, leaving every later write outside any transaction.
        try {
            transaction("BEGIN IMMEDIATE");
            java.util.Set<Long> touched = new java.util.HashSet<>();
            for (Write w : live) {
                w.execute(this);
                if (w instanceof Append) touched.add(w.room);
            }
            // Once per room per batch, not per update: the admin listing needs no finer clock.
            if (!touched.isEmpty()) {
                PreparedStatement p = prepared("UPDATE rooms SET last_activity = ? WHERE id = ?");
                long now = System.currentTimeMillis();
                for (long room : touched) {
                    p.setLong(1, now);
                    p.setLong(2, room);
                    p.executeUpdate();
                }
            }
            transaction("COMMIT");
        } catch (SQLException | RuntimeException e) {
            log.error("store commit of {} writes failed: {}", live.size(), e.toString());
            try {
                transaction("ROLLBACK");
            } catch (SQLException r) {
                // Most likely SQLite already rolled back (it does after SQLITE_FULL); if a
                // transaction were still open, the next BEGIN would fail and roll back again.
                log.debug("store rollback: {}", r.toString());
            }
            // A statement that failed mid-step is left unusable by the driver; failures are rare,
            // so every cached statement is simply prepared afresh.
            closeStatements();
            // The sequence numbers given out in the rolled-back transaction are free again.
            lastSeqs.clear();
            writeFailure = e.getMessage() == null ? e.toString() : e.getMessage();
            StoreException failure = new StoreException("store write failed: " + writeFailure, e);
            for (Write w : live) {
                if (w.room != NO_ROOM) failedRooms.add(w.room);
                w.fail(failure);
            }
            return;
        }
        // A batch of barriers commits even on a full disk: only written data proves the store can write.
        if (live.stream().anyMatch(w -> w.writesData)) writeFailure = null;
        for (Write w : live) w.succeed();
    }

    /** Writer thread only. */
    private Statement transactions;

    private void transaction(String sql) throws SQLException {
        if (transactions == null) transactions = writeConnection.createStatement();
        transactions.execute(sql);
    }

    /** Writer thread only: statements are compiled once and reused for every batch. */
    private final java.util.Map<String, PreparedStatement> statements = new java.util.HashMap<>();

    /** Writer thread (or after it ended). */
    private void closeStatements() {
        List<Statement> all = new ArrayList<>(statements.values());
        if (transactions != null) all.add(transactions);
        statements.clear();
        transactions = null;
        for (Statement p : all) {
            try {
                p.close();
            } catch (SQLException e) {
                log.debug("closing statement: {}", e.toString());
            }
        }
    }

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
        /** The room written, or NO_ROOM. */
        final long room;
        /** False for writes that change nothing in the database (barriers, pragmas). */
        final boolean writesData;

        Write(long room, boolean writesData) {
            this.room = room;
            this.writesData = writesData;
        }

        abstract void execute(SqliteRoomStore store) throws SQLException;

        abstract void succeed();

        abstract void fail(Throwable t);
    }

    /** A write whose future completes with {@code result} (set by execute) once committed. */
    private abstract static class FutureWrite<T> extends Write {
        final CompletableFuture<T> future = new CompletableFuture<>();
        T result;

        FutureWrite(long room, boolean writesData) {
            super(room, writesData);
        }

        @Override
        void succeed() {
            future.complete(result);
        }

        @Override
        void fail(Throwable t) {
            future.completeExceptionally(t);
        }
    }

    private static final class Append extends FutureWrite<Long> {
        final byte[] data;

        Append(long room, byte[] data) {
            super(room, true);
            this.data = data;
        }

        @Override
        void execute(SqliteRoomStore store) throws SQLException {
            long seq = store.lastSeq(room) + 1;
            PreparedStatement p = store.prepared("INSERT INTO updates (room, seq, data) VALUES (?, ?, ?)");
            p.setLong(1, room);
            p.setLong(2, seq);
            p.setBytes(3, data);
            p.executeUpdate();
            store.lastSeqs.put(room, seq);
            result = seq;
        }
    }

    /**
     * Writer thread only: the last sequence number given out per room, so an append costs no
     * query. This process is the file's only writer (the directory lock), so the cache cannot
     * go stale; it is dropped whenever a transaction rolls back.
     */
    private final java.util.Map<Long, Long> lastSeqs = new java.util.HashMap<>();

    /** Writer thread only. */
    private long lastSeq(long room) throws SQLException {
        Long cached = lastSeqs.get(room);
        if (cached != null) return cached;
        PreparedStatement p = prepared("SELECT max(snapshot_seq, coalesce((SELECT max(seq) FROM updates WHERE room = ?), 0)) FROM rooms WHERE id = ?");
        p.setLong(1, room);
        p.setLong(2, room);
        try (ResultSet rs = p.executeQuery()) {
            if (!rs.next()) throw new SQLException("room " + room + " does not exist");
            long last = rs.getLong(1);
            lastSeqs.put(room, last);
            return last;
        }
    }

    private static final class Compact extends FutureWrite<Void> {
        final long upto;
        final byte[] snapshot;
        final byte[] held;

        Compact(long room, long upto, byte[] snapshot, byte[] held) {
            super(room, true);
            this.upto = upto;
            this.snapshot = snapshot;
            this.held = held;
        }

        @Override
        void execute(SqliteRoomStore store) throws SQLException {
            // Only ever replaces an older snapshot: a stale compaction (a late task, or a second
            // writer) must not put back a state whose newer log entries are already deleted.
            // The held operations belong to this snapshot: they are replaced with it or not at all.
            // A snapshot cannot hold entries that were never written: such a claim is a caller's
            // bug, and honouring it would give the numbers of entries yet to come to nothing.
            if (upto > store.lastSeq(room)) {
                log.warn("room {}: compaction up to {} skipped, the log ends at {}", room, upto, store.lastSeq(room));
                return;
            }
            PreparedStatement update = store.prepared("UPDATE rooms SET snapshot = ?, held = ?, snapshot_seq = ? WHERE id = ? AND snapshot_seq <= ?");
            update.setBytes(1, snapshot);
            update.setBytes(2, held);
            update.setLong(3, upto);
            update.setLong(4, room);
            update.setLong(5, upto);
            if (update.executeUpdate() != 1) {
                PreparedStatement exists = store.prepared("SELECT snapshot_seq FROM rooms WHERE id = ?");
                exists.setLong(1, room);
                try (ResultSet rs = exists.executeQuery()) {
                    if (!rs.next()) throw new SQLException("room " + room + " does not exist");
                    log.warn("room {}: compaction up to {} skipped, the stored snapshot already covers {}", room, upto, rs.getLong(1));
                }
                // Nothing was replaced, so nothing more is covered: delete no log entries.
                return;
            }
            PreparedStatement delete = store.prepared("DELETE FROM updates WHERE room = ? AND seq <= ?");
            delete.setLong(1, room);
            delete.setLong(2, upto);
            delete.executeUpdate();
        }
    }

    /**
     * Tests only: runs {@code sql} (a PRAGMA) on the writer connection, on the writer thread, and
     * completes with its first column. {@code PRAGMA max_page_count = N} makes a real "disk full".
     */
    CompletableFuture<String> pragma(String sql) {
        return submit(new Pragma(sql)).future;
    }

    private static final class Pragma extends FutureWrite<String> {
        final String sql;

        Pragma(String sql) {
            super(NO_ROOM, false);
            this.sql = sql;
        }

        @Override
        void execute(SqliteRoomStore store) throws SQLException {
            try (Statement s = store.writeConnection.createStatement(); ResultSet rs = s.executeQuery(sql)) {
                result = rs.next() ? rs.getString(1) : null;
            }
        }
    }

    private static final class Barrier extends FutureWrite<Void> {
        Barrier(long room) {
            super(room, false);
        }

        @Override
        void execute(SqliteRoomStore store) {}
    }

    private final class DeleteRoom extends FutureWrite<Boolean> {
        final String name;

        DeleteRoom(String name) {
            super(NO_ROOM, true);
            this.name = name;
        }

        @Override
        void execute(SqliteRoomStore store) throws SQLException {
            Long id = null;
            PreparedStatement find = store.prepared("SELECT id FROM rooms WHERE name = ?");
            find.setString(1, name);
            try (ResultSet rs = find.executeQuery()) {
                if (rs.next()) id = rs.getLong(1);
            }
            result = id != null;
            if (id == null) return;
            for (String sql : DELETE_ROOM) {
                PreparedStatement p = store.prepared(sql);
                p.setLong(1, id);
                p.executeUpdate();
            }
            failedRooms.remove(id);
            lastSeqs.remove(id);
        }
    }

    /** Everything stored of one room, by its id. */
    private static final List<String> DELETE_ROOM = List.of("DELETE FROM updates WHERE room = ?", "DELETE FROM replica_owners WHERE room = ?",
            "DELETE FROM named_versions WHERE room = ?", "DELETE FROM rooms WHERE id = ?");

    private static final class AddNamedVersion extends FutureWrite<Void> {
        final StoredNamedVersion named;

        AddNamedVersion(long room, StoredNamedVersion named) {
            super(room, true);
            this.named = named;
        }

        @Override
        void execute(SqliteRoomStore store) throws SQLException {
            PreparedStatement p = store.prepared("INSERT INTO named_versions (room, seq, name, version, by_name, at) "
                    + "VALUES (?, (SELECT coalesce(max(seq), 0) + 1 FROM named_versions WHERE room = ?), ?, ?, ?, ?)");
            p.setLong(1, room);
            p.setLong(2, room);
            p.setString(3, named.name());
            p.setBytes(4, named.version());
            p.setString(5, named.by());
            p.setLong(6, named.atMillis());
            p.executeUpdate();
        }
    }

    private static final class BindReplica extends FutureWrite<Void> {
        final long replica;
        final ReplicaOwner owner;

        BindReplica(long room, long replica, ReplicaOwner owner) {
            super(room, true);
            this.replica = replica;
            this.owner = owner;
        }

        @Override
        void execute(SqliteRoomStore store) throws SQLException {
            // The owner of a bound replica never changes; only its name follows the owner's.
            PreparedStatement p = store.prepared("INSERT INTO replica_owners (room, replica, owner, user_id, name) VALUES (?, ?, ?, ?, ?) "
                    + "ON CONFLICT (room, replica) DO UPDATE SET name = excluded.name WHERE owner = excluded.owner");
            p.setLong(1, room);
            p.setLong(2, replica);
            p.setString(3, owner.owner());
            p.setString(4, owner.userId());
            p.setString(5, owner.name());
            p.executeUpdate();
        }
    }

    private static final class CreateRoom extends FutureWrite<Long> {
        final String name;

        CreateRoom(String name) {
            super(NO_ROOM, true);
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
                    result = rs.getLong(1);
                }
            }
        }
    }
}
