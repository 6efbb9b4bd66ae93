package dev.tandem.crdt;

import java.util.ArrayList;
import java.util.List;

/**
 * A deliberately naive implementation of the same ordering rule: one object per character in
 * a plain list, O(n) searches, the integration loop of reference-crdts' {@code integrateYjsMod}
 * transcribed as directly as possible. The fast {@link Doc} must order characters exactly as
 * this does.
 */
final class ReferenceList {
    private record Id(long replica, int seq) {}

    private static final class Item {
        final Id id;
        final Id left;
        final Id right;
        final char c;
        boolean deleted;

        Item(Id id, Id left, Id right, char c) {
            this.id = id;
            this.left = left;
            this.right = right;
            this.c = c;
        }
    }

    private final List<Item> items = new ArrayList<>();

    /** Integrates every insert of {@code u} (in its order, which must be causal), then its deletes. */
    void applyInOrder(Update update) {
        Update.Ops u = update.ops();
        for (int r = 0; r < u.insCount; r++) {
            long replica = u.agents[u.insAgent[r]];
            for (int k = 0; k < u.insLen[r]; k++) {
                int seq = u.insSeq[r] + k;
                Id left = k == 0 ? id(u, u.insLeft[r]) : new Id(replica, seq - 1);
                Id right = id(u, u.insRight[r]);
                integrate(new Item(new Id(replica, seq), left, right, u.text[u.insTextStart[r] + k]));
            }
        }
        for (int r = 0; r < u.delCount; r++) {
            long target = u.agents[Ids.agent(u.delTarget[r])];
            int first = Ids.seq(u.delTarget[r]);
            for (int k = 0; k < u.delLen[r]; k++) {
                int seq = u.delBackward[r] ? first - k : first + k;
                items.get(find(new Id(target, seq))).deleted = true;
            }
        }
    }

    private static Id id(Update.Ops u, long packed) {
        return packed == Ids.NONE ? null : new Id(u.agents[Ids.agent(packed)], Ids.seq(packed));
    }

    private int find(Id id) {
        if (id == null) throw new IllegalArgumentException("null id");
        for (int i = 0; i < items.size(); i++) if (items.get(i).id.equals(id)) return i;
        throw new IllegalStateException("unknown id " + id);
    }

    private void integrate(Item item) {
        for (Item it : items) if (it.id.equals(item.id)) return;
        int left = item.left == null ? -1 : find(item.left);
        int dest = left + 1;
        int right = item.right == null ? items.size() : find(item.right);
        boolean scanning = false;
        for (int i = dest; ; i++) {
            if (!scanning) dest = i;
            if (i == items.size()) break;
            if (i == right) break;
            Item o = items.get(i);
            int oleft = o.left == null ? -1 : find(o.left);
            int oright = o.right == null ? items.size() : find(o.right);
            if (oleft < left) {
                break;
            } else if (oleft == left) {
                if (oright < right) {
                    scanning = true;
                } else if (oright == right) {
                    if (Long.compareUnsigned(item.id.replica, o.id.replica) < 0) break;
                    scanning = false;
                } else {
                    scanning = false;
                }
            }
        }
        items.add(dest, item);
    }

    /** Every character in order, tombstones included, in the format of {@link Doc#idSequence()}. */
    List<String> idSequence() {
        List<String> out = new ArrayList<>(items.size());
        for (Item it : items) out.add(Long.toHexString(it.id.replica) + ":" + it.id.seq + (it.deleted ? "-" : ""));
        return out;
    }

    String text() {
        StringBuilder sb = new StringBuilder();
        for (Item it : items) if (!it.deleted) sb.append(it.c);
        return sb.toString();
    }
}
