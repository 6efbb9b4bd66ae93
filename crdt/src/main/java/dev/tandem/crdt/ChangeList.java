package dev.tandem.crdt;

import java.util.ArrayList;
import java.util.List;

/** Collects changes, joining an insertion onto the one just before it. */
final class ChangeList {
    final ArrayList<Change> list = new ArrayList<>(4);
    private int openIndex = -1; // the insertion still growing, not yet in the list
    private final StringBuilder openText = new StringBuilder();

    void insert(int index, char[] text, int off, int len) {
        if (openIndex >= 0 && index == openIndex + openText.length()) {
            openText.append(text, off, len);
            return;
        }
        flush();
        openIndex = index;
        openText.append(text, off, len);
    }

    void delete(int index, int len) {
        flush();
        list.add(new Change(index, len, ""));
    }

    void restyle(int index, int len) {
        if (len <= 0) return;
        flush();
        list.add(Change.restyle(index, len));
    }

    List<Change> finish() {
        flush();
        return list;
    }

    private void flush() {
        if (openIndex >= 0) {
            list.add(new Change(openIndex, 0, openText.toString()));
            openIndex = -1;
            openText.setLength(0);
        }
    }
}
