package dev.tandem.hub.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@link RoomStore} in a PostgreSQL database, built so that several hubs can share it.
 *
 * <ul>
 *   <li>Same promise as {@link SqliteRoomStore}: a write's future completes only after its
 *       transaction has committed; one writer thread groups the writes queued meanwhile into
 *       one transaction, so the hub's room threads never wait for the database.</li>
 *   <li>Sequence numbers come from the database: {@code rooms.last_seq} is incremented in the
 *       appending transaction, which row-locks the room until it commits, so two hubs appending
 *       to one room get distinct, increasing numbers; {@code PRIMARY KEY (room, seq)} refuses a
 *       duplicate whatever happens.</li>
 *   <li>Compaction runs in its own transaction, under a lease on the room's row whose fencing
 *       token grows with every grant: the snapshot is written only if the token is still the
 *       one this store was granted, the stored snapshot is not newer, and no entry it would drop
 *       was written by another store after this one read the room (the snapshot could not hold
 *       it). Otherwise the compaction is skipped: the log stays longer, nothing is lost.</li>
 *   <li>Connection failures (PostgreSQL restarting, a network blip) are retried for
 *       {@link #RETRY_FOR} with a fresh connection: pushes wait rather than fail. Only when
 *       that runs out do writes fail, as a full disk fails them in SQLite. A retried transaction
 *       may have committed before the connection broke; that is harmless, as every write is
 *       idempotent for its reader (an update applied twice changes nothing, bindings and room
 *       creation are upserts, deletion and compaction are conditional).</li>
 * </ul>
 *
 * <p>Threads: {@link #failedRooms} and {@link #loadedUpto} are concurrent maps shared by the
 * callers' threads and the writer thread; everything else mutable is owned by the writer
 * thread. Reads ({@link #open}, {@link #list}, ...) block their caller on a pooled connection.
 */
public final class PostgresRoomStore implements SharedRoomStore {
    private static final Logger log = LoggerFactory.getLogger(PostgresRoomStore.class);
    private static final int MAX_BATCH = 2000;
    /** Shorter than SQLite's: a commit here is a round trip, not an fsync this process pays for. */
    private static final long GROUP_WINDOW_NANOS = 2_000_000;
    /** How long a write keeps retrying a lost connection before it fails. */
    static final Duration RETRY_FOR = Duration.ofSeconds(20);
    private static final long NO_ROOM = Long.MIN_VALUE;
    /** The schema this code writes; a database with a newer one is refused. */
    static final int SCHEMA_VERSION = 1;
    /** Serialises schema creation between hubs starting at once (an arbitrary constant). */
    private static final long SCHEMA_LOCK = 0x54616e64656d01L;

    private final StoreLocation.Postgres location;
    private final HikariDataSource pool;
    /** Names this store in log entries it writes and in the leases it holds. */
    final String writerId = UUID.randomUUID().toString();
    private final Duration leaseFor;
    private final Duration retryFor;
    private final BlockingQueue<Write> queue = new LinkedBlockingQueue<>();
    private final Thread writer;
    /** Rooms with a failed write since they were last opened; see {@link SqliteRoomStore}. */
    private final Set<Long> failedRooms = ConcurrentHashMap.newKeySet();
    /**
     * The last sequence number this store read of each room: the caller's replica holds those
     * entries, so a compaction may drop them even if another store wrote them.
     */
    private final Map<Long, Long> loadedUpto = new ConcurrentHashMap<>();
    private volatile String writeFailure;
    private volatile boolean closing;
    private final java.util.concurrent.atomic.AtomicBoolean closeCalled = new java.util.concurrent.atomic.AtomicBoolean();

    /** Tests only: runs between a compaction's lease grant and its write (to make two collide). */
    volatile Runnable afterLeaseHook;

    private PostgresRoomStore(StoreLocation.Postgres location, HikariDataSource pool, Duration leaseFor, Duration retryFor) {
        this.location = location;
        this.pool = pool;
        this.leaseFor = leaseFor;
        this.retryFor = retryFor;
        this.writer = new Thread(this::writeLoop, "tandem-pg-writer");
        writer.setDaemon(true);
        writer.start();
    }

    /**
     * Connects, creates or checks the schema, and starts the writer.
     *
     * @throws StoreException if the database cannot be reached or its schema is not one this
     *     hub knows
     */
    public static PostgresRoomStore open(StoreLocation.Postgres location) {
        return open(location, Duration.ofSeconds(60), RETRY_FOR);
    }

    static PostgresRoomStore open(StoreLocation.Postgres location, Duration leaseFor, Duration retryFor) {
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(location.jdbcUrl());
        c.setUsername(location.user());
        if (location.password() != null) c.setPassword(location.password());
        c.setPoolName("tandem-pg");
        c.setMaximumPoolSize(8);
        c.setMinimumIdle(1);
        // A write waits this long for a connection per attempt, a read once; a short retry time
        // (tests) must not be outlasted by one wait.
        c.setConnectionTimeout(Math.max(250, Math.min(5_000, retryFor.toMillis() / 4)));
        c.setValidationTimeout(2_000);
        // Fail fast at start with the driver's own message ("connection refused", "password
        // authentication failed") rather than a pool timeout.
        c.setInitializationFailTimeout(1);
        c.addDataSourceProperty("connectTimeout", "5");
        c.addDataSourceProperty("socketTimeout", "60");
        c.addDataSourceProperty("tcpKeepAlive", "true");
        c.addDataSourceProperty("ApplicationName", "tandem-hub");
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(c);
        } catch (RuntimeException e) {
            throw new StoreException("cannot connect to the store " + location + ": " + rootMessage(e), e);
        }
        try {
            migrate(pool);
        } catch (SQLException | RuntimeException e) {
            pool.close();
            if (e instanceof StoreException s) throw s;
            throw new StoreException("cannot prepare the store " + location + ": " + e.getMessage(), e);
        }
        return new PostgresRoomStore(location, pool, leaseFor, retryFor);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }

    /** Creates the schema, or checks it is one this code knows; hubs starting together take turns. */
    private static void migrate(HikariDataSource pool) throws SQLException {
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("SELECT pg_advisory_xact_lock(" + SCHEMA_LOCK + ")");
                s.execute("CREATE TABLE IF NOT EXISTS tandem_schema (version INTEGER NOT NULL)");
                int version = 0;
                try (ResultSet rs = s.executeQuery("SELECT max(version) FROM tandem_schema")) {
                    if (rs.next()) version = rs.getInt(1);
                }
                if (version > SCHEMA_VERSION) {
                    c.rollback();
                    throw new StoreException("the store's schema is version " + version + ", newer than this hub knows (" + SCHEMA_VERSION
                            + "): upgrade the hub");
                }
                if (version < 1) {
                    s.execute("CREATE TABLE rooms (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE, snapshot BYTEA, held BYTEA, "
                            + "snapshot_seq BIGINT NOT NULL DEFAULT 0, last_seq BIGINT NOT NULL DEFAULT 0, last_activity BIGINT NOT NULL DEFAULT 0, "
                            + "lease_holder TEXT, lease_expires TIMESTAMPTZ, lease_token BIGINT NOT NULL DEFAULT 0)");
                    s.execute("CREATE TABLE updates (room BIGINT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE, seq BIGINT NOT NULL, "
                            + "writer TEXT NOT NULL, data BYTEA NOT NULL, PRIMARY KEY (room, seq))");
                    s.execute("CREATE TABLE replica_owners (room BIGINT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE, replica BIGINT NOT NULL, "
                            + "owner TEXT NOT NULL, user_id TEXT, name TEXT NOT NULL, PRIMARY KEY (room, replica))");
                    // Named versions: seq orders them; the unique key makes a commit retried
                    // after a lost connection (see Write) store one row, not two.
                    s.execute("CREATE TABLE named_versions (room BIGINT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE, seq BIGSERIAL, "
                            + "name TEXT NOT NULL, version BYTEA NOT NULL, by_name TEXT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (room, seq), "
                            + "UNIQUE (room, name, version))");
                    s.execute("INSERT INTO tandem_schema (version) VALUES (1)");
                    log.info("store: created the schema (version 1)");
                }
            }
            c.commit();
        }
    }

    @Override
    public StoredRoom open(String room) {
        StoredRoom stored = read(room);
        if (stored != null) return stored;
        try {
            CreateRoom create = new CreateRoom(room);
            submit(create);
            long key = create.future.join();
            loadedUpto.put(key, 0L);
            // Another hub may have created (and written) it a moment ago: read what is there.
            StoredRoom again = read(room);
            return again != null ? again : new StoredRoom(key, null, null, List.of(), 0, 0, Map.of(), List.of());
        } catch (java.util.concurrent.CompletionException e) {
            throw new StoreException("cannot create room \"" + room + "\" in " + location + ": " + rootMessage(e), e);
        }
    }

    @Override
    public StoredRoom read(String room) {
        // One consistent view: a compaction by another hub between reading the snapshot and
        // the log would otherwise hide the entries it folded.
        return inOneView("room \"" + room + "\"", c -> {
            long key;
            byte[] snapshot;
            byte[] held;
            long snapshotSeq;
            try (PreparedStatement p = c.prepareStatement("SELECT id, snapshot, held, snapshot_seq FROM rooms WHERE name = ?")) {
                p.setString(1, room);
                try (ResultSet rs = p.executeQuery()) {
                    if (!rs.next()) return null;
                    key = rs.getLong(1);
                    snapshot = rs.getBytes(2);
                    held = rs.getBytes(3);
                    snapshotSeq = rs.getLong(4);
                }
            }
            List<byte[]> updates = new ArrayList<>();
            long lastSeq = snapshotSeq;
            long bytes = (snapshot == null ? 0 : snapshot.length) + (held == null ? 0 : held.length);
            try (PreparedStatement p = c.prepareStatement("SELECT seq, data FROM updates WHERE room = ? AND seq > ? ORDER BY seq")) {
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
            Map<Long, ReplicaOwner> owners = new HashMap<>();
            try (PreparedStatement p = c.prepareStatement("SELECT replica, owner, user_id, name FROM replica_owners WHERE room = ?")) {
                p.setLong(1, key);
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) owners.put(rs.getLong(1), new ReplicaOwner(rs.getString(2), rs.getString(3), rs.getString(4)));
                }
            }
            List<StoredNamedVersion> named = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT name, version, by_name, at FROM named_versions WHERE room = ? ORDER BY seq")) {
                p.setLong(1, key);
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) named.add(new StoredNamedVersion(rs.getString(1), rs.getBytes(2), rs.getString(3), rs.getLong(4)));
                }
            }
            failedRooms.remove(key);
            loadedUpto.put(key, lastSeq);
            return new StoredRoom(key, snapshot, held, updates, lastSeq, bytes, owners, named);
        });
    }

    @Override
    public List<Entry> tail(long roomKey, long afterSeq) {
        return inOneView("the log of room " + roomKey, c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT snapshot_seq FROM rooms WHERE id = ?")) {
                p.setLong(1, roomKey);
                try (ResultSet rs = p.executeQuery()) {
                    if (!rs.next() || rs.getLong(1) > afterSeq) return null;
                }
            }
            List<Entry> entries = new ArrayList<>();
            try (PreparedStatement p = c.prepareStatement("SELECT seq, data FROM updates WHERE room = ? AND seq > ? ORDER BY seq")) {
                p.setLong(1, roomKey);
                p.setLong(2, afterSeq);
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) entries.add(new Entry(rs.getLong(1), rs.getBytes(2)));
                }
            }
            return entries;
        });
    }

    /** Reads done in {@link #inOneView}. */
    private interface ViewRead<T> {
        T read(Connection c) throws SQLException;
    }

    /**
     * Runs {@code work} on one pooled connection in one read-only {@code REPEATABLE READ}
     * transaction (rolled back after): one consistent view, so a compaction committed by another
     * hub meanwhile cannot hide what it folded. A failure is a StoreException naming {@code what}.
     */
    private <T> T inOneView(String what, ViewRead<T> work) {
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            c.setReadOnly(true);
            try {
                return work.read(c);
            } finally {
                c.rollback();
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read " + what + " from " + location + ": " + e.getMessage(), e);
        }
    }

    /** Binds the five values of a {@code replica_owners} row, in the table's column order. */
    private static void setOwnerRow(PreparedStatement p, long room, long replica, ReplicaOwner owner) throws SQLException {
        p.setLong(1, room);
        p.setLong(2, replica);
        p.setString(3, owner.owner());
        p.setString(4, owner.userId());
        p.setString(5, owner.name());
    }

    @Override
    public Map<Long, Long> lastSeqs(java.util.Collection<Long> roomKeys) {
        Map<Long, Long> out = new HashMap<>();
        if (roomKeys.isEmpty()) return out;
        try (Connection c = pool.getConnection();
             PreparedStatement p = c.prepareStatement("SELECT id, last_seq FROM rooms WHERE id = ANY (?)")) {
            p.setArray(1, c.createArrayOf("bigint", roomKeys.toArray()));
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) out.put(rs.getLong(1), rs.getLong(2));
            }
            return out;
        } catch (SQLException e) {
            throw new StoreException("cannot read the rooms' last entries from " + location + ": " + e.getMessage(), e);
        }
    }

    @Override
    public ReplicaOwner claimReplica(long roomKey, long replica, ReplicaOwner owner) {
        // The no-op update makes RETURNING give the row that was there first.
        try (Connection c = pool.getConnection();
             PreparedStatement p = c.prepareStatement("INSERT INTO replica_owners (room, replica, owner, user_id, name) VALUES (?, ?, ?, ?, ?) "
                     + "ON CONFLICT (room, replica) DO UPDATE SET owner = replica_owners.owner RETURNING owner, user_id, name")) {
            setOwnerRow(p, roomKey, replica, owner);
            try (ResultSet rs = p.executeQuery()) {
                rs.next();
                return new ReplicaOwner(rs.getString(1), rs.getString(2), rs.getString(3));
            }
        } catch (SQLException e) {
            throw new StoreException("cannot bind a replica of room " + roomKey + " in " + location + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void holdsUpto(long roomKey, long seq) {
        loadedUpto.merge(roomKey, seq, Math::max);
    }

    @Override
    public List<RoomSummary> list() {
        List<RoomSummary> out = new ArrayList<>();
        try (Connection c = pool.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT r.name, coalesce(octet_length(r.snapshot), 0) + coalesce(octet_length(r.held), 0)"
                     + " + coalesce((SELECT sum(octet_length(u.data)) FROM updates u WHERE u.room = r.id), 0), r.last_activity FROM rooms r ORDER BY r.name")) {
            while (rs.next()) out.add(new RoomSummary(rs.getString(1), rs.getLong(2), rs.getLong(3)));
        } catch (SQLException e) {
            throw new StoreException("cannot list the rooms of " + location + ": " + e.getMessage(), e);
        }
        return out;
    }

    @Override
    public long totalBytes() {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_database_size(current_database())")) {
            return rs.next() ? rs.getLong(1) : 0;
        } catch (SQLException e) {
            throw new StoreException("cannot measure " + location + ": " + e.getMessage(), e);
        }
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
    public CompletableFuture<Void> bindReplica(long roomKey, long replica, ReplicaOwner owner) {
        return submit(new BindReplica(roomKey, replica, owner)).future;
    }

    @Override
    public CompletableFuture<Void> addNamedVersion(long roomKey, StoredNamedVersion named) {
        return submit(new AddNamedVersion(roomKey, named)).future;
    }

    @Override
    public CompletableFuture<Boolean> delete(String room) {
        return submit(new DeleteRoom(room)).future;
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
            last.get(retryFor.toMillis() + 30_000, TimeUnit.MILLISECONDS);
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
        pool.close();
    }

    private <W extends Write> W submit(W write) {
        if (closing) {
            write.fail(new StoreException("store " + location + " is closed"));
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
            // Compactions take a lease first, so they run in transactions of their own; the
            // writes around them keep their order.
            List<Write> group = new ArrayList<>();
            for (Write w : batch) {
                if (w instanceof Compact) {
                    commit(group);
                    group.clear();
                    commit(List.of(w));
                } else {
                    group.add(w);
                }
            }
            commit(group);
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
        long deadline = System.nanoTime() + retryFor.toNanos();
        long backoffMillis = 50;
        while (true) {
            try {
                if (live.size() == 1 && live.get(0) instanceof Compact compact) {
                    compact.run(this);
                } else {
                    transaction(live);
                }
                break;
            } catch (SQLException | RuntimeException e) {
                boolean conflict = conflict(e);
                boolean retry = (connectionLost(e) || conflict) && System.nanoTime() < deadline && !Thread.currentThread().isInterrupted();
                if (retry) {
                    if (!conflict) writeFailure = "the database is unreachable, retrying: " + rootMessage(e);
                    log.warn("store: commit of {} writes failed, retrying in {} ms: {}", live.size(), backoffMillis, rootMessage(e));
                    try {
                        Thread.sleep(backoffMillis);
                    } catch (InterruptedException i) {
                        // close(): one more try, then give up.
                        Thread.currentThread().interrupt();
                    }
                    backoffMillis = Math.min(1000, backoffMillis * 2);
                    continue;
                }
                String why = e instanceof SQLException s && "23505".equals(s.getSQLState())
                        ? "a sequence number or room was taken twice (" + e.getMessage() + ")" : rootMessage(e);
                log.error("store commit of {} writes failed: {}", live.size(), why);
                writeFailure = why;
                StoreException failure = new StoreException("store write failed: " + why, e);
                for (Write w : live) {
                    if (w.room != NO_ROOM) failedRooms.add(w.room);
                    w.fail(failure);
                }
                return;
            }
        }
        if (live.stream().anyMatch(w -> w.writesData) || writeFailure != null && writeFailure.startsWith("the database is unreachable")) {
            writeFailure = null;
        }
        for (Write w : live) w.succeed();
    }

    /**
     * The connection broke or the server is going away or starting: the same transaction on a
     * fresh connection may well succeed (SQLState classes 08 and 57P, and the driver's I/O errors).
     */
    static boolean connectionLost(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException s && s.getSQLState() != null) {
                String state = s.getSQLState();
                if (state.startsWith("08") || state.startsWith("57P") || state.equals("53300")) return true;
            }
            if (t instanceof java.sql.SQLTransientConnectionException || t instanceof java.io.IOException) return true;
        }
        return false;
    }

    /**
     * Another hub's transaction got in the way (a deadlock, or a serialization failure): the
     * database rolled this one back, and running it again is the remedy it asks for.
     */
    static boolean conflict(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException s && ("40P01".equals(s.getSQLState()) || "40001".equals(s.getSQLState()))) return true;
        }
        return false;
    }

    /** Writer thread: the writes in one transaction on one pooled connection. */
    private void transaction(List<Write> live) throws SQLException {
        // Rows locked in ascending room order, as every hub's writer does: two hubs appending
        // to the same rooms wait for each other instead of deadlocking. Stable, so each room's
        // writes keep their order.
        List<Write> ordered = new ArrayList<>(live);
        ordered.sort(java.util.Comparator.comparingLong(w -> w.room));
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try {
                List<Append> run = new ArrayList<>();
                for (Write w : ordered) {
                    if (w instanceof Append a) {
                        run.add(a);
                        continue;
                    }
                    appendAll(c, run);
                    w.execute(this, c);
                }
                appendAll(c, run);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                throw rollback(c, e);
            }
        }
    }

    /**
     * Writer thread: stores {@code run} (appends in room order, each room's in submission order)
     * in three round trips however many there are, then empties it. The rooms' rows are locked
     * in ascending order first, so another hub's writer appending to the same rooms waits instead
     * of deadlocking; then each room's {@code last_seq} moves by its count and the entries take
     * the numbers it moved over. (One round trip per entry made the writer the bottleneck of
     * several hubs: measured in docs/scale.md.)
     */
    private void appendAll(Connection c, List<Append> run) throws SQLException {
        if (run.isEmpty()) return;
        Map<Long, Integer> counts = new java.util.LinkedHashMap<>();
        for (Append a : run) counts.merge(a.room, 1, Integer::sum);
        Long[] rooms = counts.keySet().toArray(Long[]::new);
        Long[] adds = new Long[rooms.length];
        for (int i = 0; i < rooms.length; i++) adds[i] = (long) counts.get(rooms[i]);
        try (PreparedStatement p = c.prepareStatement("SELECT id FROM rooms WHERE id = ANY (?) ORDER BY id FOR NO KEY UPDATE")) {
            p.setArray(1, c.createArrayOf("bigint", rooms));
            try (ResultSet rs = p.executeQuery()) {
                int found = 0;
                while (rs.next()) found++;
                if (found != rooms.length) throw new SQLException((rooms.length - found) + " of the rooms appended to do not exist (deleted?)");
            }
        }
        Map<Long, Long> next = new HashMap<>();
        try (PreparedStatement p = c.prepareStatement("UPDATE rooms SET last_seq = rooms.last_seq + v.n, last_activity = ? "
                + "FROM unnest(?::bigint[], ?::bigint[]) AS v (id, n) WHERE rooms.id = v.id RETURNING rooms.id, rooms.last_seq, v.n")) {
            p.setLong(1, System.currentTimeMillis());
            p.setArray(2, c.createArrayOf("bigint", rooms));
            p.setArray(3, c.createArrayOf("bigint", adds));
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) next.put(rs.getLong(1), rs.getLong(2) - rs.getLong(3) + 1);
            }
        }
        try (PreparedStatement p = c.prepareStatement("INSERT INTO updates (room, seq, writer, data) VALUES (?, ?, ?, ?)")) {
            for (Append a : run) {
                long seq = next.merge(a.room, 1L, Long::sum) - 1;
                p.setLong(1, a.room);
                p.setLong(2, seq);
                p.setString(3, writerId);
                p.setBytes(4, a.data);
                p.addBatch();
                a.result = seq;
            }
            p.executeBatch();
        }
        run.clear();
    }

    /**
     * Rolls back after {@code e} and returns what to throw: {@code e}, or, if the connection
     * broke on the way (the pool then reports only "Connection is closed", without a state),
     * an SQLException of class 08 so the writer retries on a fresh connection.
     */
    private static SQLException rollback(Connection c, Exception e) {
        try {
            c.rollback();
        } catch (SQLException r) {
            log.debug("store rollback: {}", r.toString());
        }
        boolean broken;
        try {
            broken = c.isClosed();
        } catch (SQLException x) {
            broken = true;
        }
        if (broken && !connectionLost(e)) return new SQLException("the connection to the database broke: " + e.getMessage(), "08006", e);
        if (e instanceof SQLException s) return s;
        throw (RuntimeException) e;
    }

    private abstract static class Write {
        final long room;
        final boolean writesData;

        Write(long room, boolean writesData) {
            this.room = room;
            this.writesData = writesData;
        }

        /** Runs on the writer thread inside the batch's transaction; may run again on a retry. */
        abstract void execute(PostgresRoomStore store, Connection c) throws SQLException;

        abstract void succeed();

        abstract void fail(Throwable t);
    }

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
        void execute(PostgresRoomStore store, Connection c) {
            throw new IllegalStateException("appends are stored together by appendAll");
        }
    }

    /** Not part of a batch: {@link #run} takes the lease, then writes in a transaction of its own. */
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
        void execute(PostgresRoomStore store, Connection c) {
            throw new IllegalStateException("a compaction runs on its own");
        }

        void run(PostgresRoomStore store) throws SQLException {
            long token;
            try (Connection c = store.pool.getConnection()) {
                c.setAutoCommit(true);
                // Granted if free, expired, or already ours (a retry); every grant bumps the token.
                try (PreparedStatement p = c.prepareStatement("UPDATE rooms SET lease_holder = ?, lease_token = lease_token + 1, "
                        + "lease_expires = now() + make_interval(secs => ?) WHERE id = ? "
                        + "AND (lease_holder IS NULL OR lease_expires < now() OR lease_holder = ?) RETURNING lease_token")) {
                    p.setString(1, store.writerId);
                    p.setDouble(2, store.leaseFor.toMillis() / 1000.0);
                    p.setLong(3, room);
                    p.setString(4, store.writerId);
                    try (ResultSet rs = p.executeQuery()) {
                        if (!rs.next()) {
                            log.info("room {}: compaction up to {} skipped, another hub holds the room's compaction lease (or the room is gone)", room, upto);
                            return;
                        }
                        token = rs.getLong(1);
                    }
                }
            }
            Runnable hook = store.afterLeaseHook;
            if (hook != null) hook.run();
            try (Connection c = store.pool.getConnection()) {
                c.setAutoCommit(false);
                try {
                    write(store, c, token);
                    // Released in the same transaction (a no-op once fenced off); the token
                    // stays, so a late holder is still fenced.
                    try (PreparedStatement p = c.prepareStatement("UPDATE rooms SET lease_holder = NULL, lease_expires = NULL WHERE id = ? AND lease_token = ?")) {
                        p.setLong(1, room);
                        p.setLong(2, token);
                        p.executeUpdate();
                    }
                    c.commit();
                } catch (SQLException | RuntimeException e) {
                    throw rollback(c, e);
                }
            }
        }

        private void write(PostgresRoomStore store, Connection c, long token) throws SQLException {
            long storedToken;
            long snapshotSeq;
            long lastSeq;
            try (PreparedStatement p = c.prepareStatement("SELECT lease_token, snapshot_seq, last_seq FROM rooms WHERE id = ? FOR UPDATE")) {
                p.setLong(1, room);
                try (ResultSet rs = p.executeQuery()) {
                    if (!rs.next()) {
                        log.info("room {}: compaction skipped, the room was deleted", room);
                        return;
                    }
                    storedToken = rs.getLong(1);
                    snapshotSeq = rs.getLong(2);
                    lastSeq = rs.getLong(3);
                }
            }
            // The fence: another hub was granted the lease since (ours expired while we were
            // slow); whatever it writes wins, and this snapshot may be older than its.
            if (storedToken != token) {
                log.warn("room {}: compaction up to {} fenced off: lease token {} was superseded by {}", room, upto, token, storedToken);
                return;
            }
            {
                if (snapshotSeq > upto) {
                    log.warn("room {}: compaction up to {} skipped, the stored snapshot already covers {}", room, upto, snapshotSeq);
                    return;
                }
                if (upto > lastSeq) {
                    log.warn("room {}: compaction up to {} skipped, the log ends at {}", room, upto, lastSeq);
                    return;
                }
                // The snapshot holds what this store read and what it wrote; an entry another
                // hub wrote after that may be missing from it, and must not be dropped.
                long known = store.loadedUpto.getOrDefault(room, 0L);
                try (PreparedStatement p = c.prepareStatement("SELECT min(seq) FROM updates WHERE room = ? AND seq > ? AND seq <= ? AND writer <> ?")) {
                    p.setLong(1, room);
                    p.setLong(2, Math.max(known, snapshotSeq));
                    p.setLong(3, upto);
                    p.setString(4, store.writerId);
                    try (ResultSet rs = p.executeQuery()) {
                        if (rs.next() && rs.getObject(1) != null) {
                            log.warn("room {}: compaction up to {} skipped, entry {} was written by another hub after this one read the room",
                                    room, upto, rs.getLong(1));
                            return;
                        }
                    }
                }
                try (PreparedStatement p = c.prepareStatement("UPDATE rooms SET snapshot = ?, held = ?, snapshot_seq = ? WHERE id = ? AND lease_token = ?")) {
                    p.setBytes(1, snapshot);
                    p.setBytes(2, held);
                    p.setLong(3, upto);
                    p.setLong(4, room);
                    p.setLong(5, token);
                    p.executeUpdate();
                }
                try (PreparedStatement p = c.prepareStatement("DELETE FROM updates WHERE room = ? AND seq <= ?")) {
                    p.setLong(1, room);
                    p.setLong(2, upto);
                    p.executeUpdate();
                }
            }
        }
    }

    private static final class Barrier extends FutureWrite<Void> {
        Barrier(long room) {
            super(room, false);
        }

        @Override
        void execute(PostgresRoomStore store, Connection c) {}
    }

    private final class DeleteRoom extends FutureWrite<Boolean> {
        final String name;

        DeleteRoom(String name) {
            super(NO_ROOM, true);
            this.name = name;
        }

        @Override
        void execute(PostgresRoomStore store, Connection c) throws SQLException {
            // Updates and owners go with the room (ON DELETE CASCADE).
            try (PreparedStatement p = c.prepareStatement("DELETE FROM rooms WHERE name = ? RETURNING id")) {
                p.setString(1, name);
                try (ResultSet rs = p.executeQuery()) {
                    result = rs.next();
                    if (result) {
                        long id = rs.getLong(1);
                        failedRooms.remove(id);
                        loadedUpto.remove(id);
                    }
                }
            }
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
        void execute(PostgresRoomStore store, Connection c) throws SQLException {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO replica_owners (room, replica, owner, user_id, name) VALUES (?, ?, ?, ?, ?) "
                    + "ON CONFLICT (room, replica) DO UPDATE SET name = excluded.name WHERE replica_owners.owner = excluded.owner")) {
                setOwnerRow(p, room, replica, owner);
                p.executeUpdate();
            }
        }
    }

    private static final class AddNamedVersion extends FutureWrite<Void> {
        final StoredNamedVersion named;

        AddNamedVersion(long room, StoredNamedVersion named) {
            super(room, true);
            this.named = named;
        }

        @Override
        void execute(PostgresRoomStore store, Connection c) throws SQLException {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO named_versions (room, name, version, by_name, at) VALUES (?, ?, ?, ?, ?) "
                    + "ON CONFLICT (room, name, version) DO NOTHING")) {
                p.setLong(1, room);
                p.setString(2, named.name());
                p.setBytes(3, named.version());
                p.setString(4, named.by());
                p.setLong(5, named.atMillis());
                p.executeUpdate();
            }
        }
    }

    private static final class CreateRoom extends FutureWrite<Long> {
        final String name;

        CreateRoom(String name) {
            super(NO_ROOM, true);
            this.name = name;
        }

        @Override
        void execute(PostgresRoomStore store, Connection c) throws SQLException {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO rooms (name) VALUES (?) ON CONFLICT (name) DO NOTHING")) {
                p.setString(1, name);
                p.executeUpdate();
            }
            try (PreparedStatement p = c.prepareStatement("SELECT id FROM rooms WHERE name = ?")) {
                p.setString(1, name);
                try (ResultSet rs = p.executeQuery()) {
                    if (!rs.next()) throw new SQLException("room \"" + name + "\" vanished");
                    result = rs.getLong(1);
                }
            }
        }
    }
}
