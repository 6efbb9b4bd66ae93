package dev.tandem.crdt;

import java.util.Arrays;

/**
 * An immutable version vector: for each replica, how many of its inserted characters and how
 * many of its deletions a document holds. A replica's characters and deletions are numbered
 * separately, from 0, in the order it made them, and a document always holds a prefix of each,
 * so two counts per replica say exactly what it has.
 */
public final class Version {
    /** The format byte of an encoded version: its bytes did not change with format v2 of documents. */
    static final int FORMAT = 1;

    /** The version of an empty document. */
    public static final Version EMPTY = new Version(new long[0], new int[0], new int[0]);

    // Sorted by replica id (unsigned), no replica with both counts zero.
    private final long[] replicas;
    private final int[] inserts;
    private final int[] deletes;

    Version(long[] replicas, int[] inserts, int[] deletes) {
        this.replicas = replicas;
        this.inserts = inserts;
        this.deletes = deletes;
    }

    /** Builds a version from per-replica counts; zero counts are dropped. */
    static Version of(long[] replicas, int[] inserts, int[] deletes, int n) {
        // Insertion sort of the kept indexes by unsigned replica id: versions name few replicas,
        // and this runs for every update a hub receives, so no boxing and no comparator.
        int[] order = new int[n];
        int kept = 0;
        for (int i = 0; i < n; i++) {
            if (inserts[i] == 0 && deletes[i] == 0) continue;
            int j = kept++;
            while (j > 0 && Long.compareUnsigned(replicas[order[j - 1]], replicas[i]) > 0) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = i;
        }
        long[] r = new long[kept];
        int[] ins = new int[kept];
        int[] del = new int[kept];
        for (int i = 0; i < kept; i++) {
            r[i] = replicas[order[i]];
            ins[i] = inserts[order[i]];
            del[i] = deletes[order[i]];
            if (i > 0 && r[i] == r[i - 1]) throw new IllegalArgumentException("replica " + Long.toUnsignedString(r[i]) + " listed twice");
        }
        return new Version(r, ins, del);
    }

    /** Number of replicas with anything in this version. */
    public int size() {
        return replicas.length;
    }

    public boolean isEmpty() {
        return replicas.length == 0;
    }

    /** The replica ids, in unsigned order. */
    public long[] replicas() {
        return replicas.clone();
    }

    /** How many characters of {@code replica} this version holds. */
    public int inserts(long replica) {
        int i = indexOf(replica);
        return i < 0 ? 0 : inserts[i];
    }

    /** How many deletions by {@code replica} this version holds. */
    public int deletes(long replica) {
        int i = indexOf(replica);
        return i < 0 ? 0 : deletes[i];
    }

    /**
     * This version with {@code replica}'s counts set to {@code inserts} and {@code deletes}:
     * {@code doc.updatesSince(doc.version().with(r, v.inserts(r), v.deletes(r)))} is what a
     * replica at {@code v} lacks of {@code r}'s own operations only.
     *
     * @throws IllegalArgumentException if a count is negative
     */
    public Version with(long replica, int inserts, int deletes) {
        if (inserts < 0 || deletes < 0) throw new IllegalArgumentException("negative count: " + inserts + ", " + deletes);
        int i = indexOf(replica);
        int n = replicas.length + (i < 0 ? 1 : 0);
        long[] r = java.util.Arrays.copyOf(replicas, n);
        int[] ins = java.util.Arrays.copyOf(this.inserts, n);
        int[] del = java.util.Arrays.copyOf(this.deletes, n);
        int k = i < 0 ? n - 1 : i;
        r[k] = replica;
        ins[k] = inserts;
        del[k] = deletes;
        return of(r, ins, del, n);
    }

    /** True when this version holds everything {@code other} holds. */
    public boolean covers(Version other) {
        for (int i = 0; i < other.replicas.length; i++) {
            long r = other.replicas[i];
            if (inserts(r) < other.inserts[i] || deletes(r) < other.deletes[i]) return false;
        }
        return true;
    }

    /** The smallest version that covers both. */
    public Version union(Version other) {
        long[] r = new long[replicas.length + other.replicas.length];
        int[] ins = new int[r.length];
        int[] del = new int[r.length];
        int n = 0;
        int i = 0;
        int j = 0;
        while (i < replicas.length || j < other.replicas.length) {
            int c = i == replicas.length ? 1 : j == other.replicas.length ? -1 : Long.compareUnsigned(replicas[i], other.replicas[j]);
            if (c < 0) {
                r[n] = replicas[i]; ins[n] = inserts[i]; del[n] = deletes[i]; i++;
            } else if (c > 0) {
                r[n] = other.replicas[j]; ins[n] = other.inserts[j]; del[n] = other.deletes[j]; j++;
            } else {
                r[n] = replicas[i];
                ins[n] = Math.max(inserts[i], other.inserts[j]);
                del[n] = Math.max(deletes[i], other.deletes[j]);
                i++;
                j++;
            }
            n++;
        }
        return new Version(Arrays.copyOf(r, n), Arrays.copyOf(ins, n), Arrays.copyOf(del, n));
    }

    /** Total number of operations (characters plus deletions) in this version. */
    public long operationCount() {
        long sum = 0;
        for (int i = 0; i < replicas.length; i++) sum += inserts[i] + (long) deletes[i];
        return sum;
    }

    /** The binary form described in {@code crdt/FORMAT.md}. */
    public byte[] encode() {
        ByteWriter w = new ByteWriter(8 + replicas.length * 14);
        w.writeByte(Codec.VERSION_MAGIC);
        w.writeByte(FORMAT);
        w.writeVarInt(replicas.length);
        for (int i = 0; i < replicas.length; i++) {
            w.writeLong(replicas[i]);
            w.writeVarInt(inserts[i]);
            w.writeVarInt(deletes[i]);
        }
        return w.toByteArray();
    }

    /**
     * Reads a version written by {@link #encode()}.
     *
     * @throws CrdtFormatException if the bytes are not a valid version
     */
    public static Version decode(byte[] bytes) {
        ByteReader r = new ByteReader(bytes, 0, bytes.length);
        if (r.readByte() != Codec.VERSION_MAGIC) throw new CrdtFormatException("not an encoded version (bad magic byte)");
        int format = r.readByte() & 0xff;
        if (format != FORMAT) throw new CrdtFormatException("unsupported version format " + format + ", this build reads " + FORMAT);
        int n = r.readCount(9);
        long[] ids = new long[n];
        int[] ins = new int[n];
        int[] del = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = r.readLong();
            ins[i] = r.readVarInt();
            del[i] = r.readVarInt();
            if (i > 0 && Long.compareUnsigned(ids[i - 1], ids[i]) >= 0) throw new CrdtFormatException("version replicas out of order at entry " + i);
            if (ins[i] == 0 && del[i] == 0) throw new CrdtFormatException("version entry " + i + " is empty");
        }
        if (r.remaining() != 0) throw new CrdtFormatException(r.remaining() + " trailing bytes after version");
        return new Version(ids, ins, del);
    }

    private int indexOf(long replica) {
        int lo = 0;
        int hi = replicas.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = Long.compareUnsigned(replicas[mid], replica);
            if (c < 0) lo = mid + 1;
            else if (c > 0) hi = mid - 1;
            else return mid;
        }
        return -1;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Version v && Arrays.equals(replicas, v.replicas) && Arrays.equals(inserts, v.inserts) && Arrays.equals(deletes, v.deletes);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(replicas) + Arrays.hashCode(inserts)) + Arrays.hashCode(deletes);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < replicas.length; i++) {
            if (i > 0) sb.append(", ");
            sb.append(Long.toHexString(replicas[i])).append(": ").append(inserts[i]).append('/').append(deletes[i]);
        }
        return sb.append('}').toString();
    }
}
