package dev.tandem.crdt;

import java.util.Arrays;
import java.util.HashMap;

/**
 * Replica ids numbered 0, 1, 2... in the order they were first seen: the agent indexes that
 * packed ids ({@link Ids}) use. Shared by documents and update builders.
 */
final class ReplicaIndex {
    private long[] ids = new long[4];
    private int count;
    // Filled only once there are more than SCAN ids: few replicas are found faster by a scan
    // than by boxing a Long for the map.
    private final HashMap<Long, Integer> map = new HashMap<>();
    private static final int SCAN = 8;

    int size() {
        return count;
    }

    long id(int index) {
        return ids[index];
    }

    /** The index of {@code replica}, or -1 if it was never added. */
    int find(long replica) {
        if (count <= SCAN) {
            for (int i = 0; i < count; i++) if (ids[i] == replica) return i;
            return -1;
        }
        Integer i = map.get(replica);
        return i == null ? -1 : i;
    }

    /** The index of {@code replica}, adding it (as the next index) if it is new. */
    int intern(long replica) {
        int i = find(replica);
        if (i >= 0) return i;
        if (count == ids.length) ids = Arrays.copyOf(ids, count * 2);
        ids[count] = replica;
        if (count == SCAN) {
            for (int k = 0; k < SCAN; k++) map.put(ids[k], k);
        }
        if (count >= SCAN) map.put(replica, count);
        return count++;
    }

    /** Forgets the ids from index {@code newCount} on (an update refused after it named them). */
    void truncate(int newCount) {
        for (int i = newCount; i < count; i++) map.remove(ids[i]);
        count = newCount;
        if (count <= SCAN) map.clear();
    }

    long[] toArray() {
        return Arrays.copyOf(ids, count);
    }
}
