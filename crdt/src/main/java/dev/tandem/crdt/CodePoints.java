package dev.tandem.crdt;

/**
 * Walks between UTF-16 indexes and code points over a document's visible text, and the rules
 * that keep surrogate pairs whole. A document counts astral characters in its tree only once it
 * has met one, so text without them costs nothing here.
 */
final class CodePoints {
    private CodePoints() {}

    /**
     * The UTF-16 index of the {@code codePoints}-th code point, for text measured in code
     * points (such as the editing traces).
     */
    static int toIndex(Doc doc, int codePoints) {
        int length = doc.tree.visibleLength();
        if (!doc.hasAstral) {
            if (codePoints < 0 || codePoints > length) throw new IndexOutOfBoundsException("code point " + codePoints + " outside 0.." + length);
            return codePoints;
        }
        int total = length - doc.tree.root.astral;
        if (codePoints < 0 || codePoints > total) throw new IndexOutOfBoundsException("code point " + codePoints + " outside 0.." + total);
        if (codePoints == total) return length;
        int index = 0;
        SpanTree.Node node = doc.tree.root;
        int cp = codePoints;
        while (node instanceof SpanTree.Branch b) {
            int i = 0;
            for (; i < b.count - 1; i++) {
                SpanTree.Node k = b.kids[i];
                int c = k.visible - k.astral;
                if (cp < c) break;
                cp -= c;
                index += k.visible;
            }
            node = b.kids[i];
        }
        SpanTree.Leaf leaf = (SpanTree.Leaf) node;
        for (int i = 0; i < leaf.count; i++) {
            int len = leaf.lens[i];
            if (len <= 0) continue;
            char[] text = doc.agents[Ids.agent(leaf.ids[i])].text;
            int s = Ids.seq(leaf.ids[i]);
            for (int j = 0; j < len; j++) {
                if (cp == 0) return index;
                if (Character.isHighSurrogate(text[s + j])) {
                    j++;
                    index++;
                }
                index++;
                cp--;
            }
        }
        return index;
    }

    /** The number of code points before UTF-16 index {@code index}. */
    static int toCodePoint(Doc doc, int index) {
        int length = doc.tree.visibleLength();
        if (index < 0 || index > length) throw new IndexOutOfBoundsException("index " + index + " outside 0.." + length);
        SpanTree tree = doc.tree;
        if (!doc.hasAstral) return index;
        if (index == length) return length - doc.tree.root.astral;
        int cp = 0;
        SpanTree.Node node = doc.tree.root;
        int rest = index;
        while (node instanceof SpanTree.Branch b) {
            int i = 0;
            for (; i < b.count - 1; i++) {
                SpanTree.Node k = b.kids[i];
                if (rest < k.visible) break;
                rest -= k.visible;
                cp += k.visible - k.astral;
            }
            node = b.kids[i];
        }
        SpanTree.Leaf leaf = (SpanTree.Leaf) node;
        for (int i = 0; i < leaf.count && rest > 0; i++) {
            int len = leaf.lens[i];
            if (len <= 0) continue;
            char[] text = doc.agents[Ids.agent(leaf.ids[i])].text;
            int s = Ids.seq(leaf.ids[i]);
            for (int j = 0; j < len && rest > 0; j++) {
                if (!Character.isLowSurrogate(text[s + j])) cp++;
                rest--;
            }
        }
        return cp;
    }

    static boolean splitsPair(Doc doc, int pos) {
        doc.tree.locateVisible(pos);
        char after = doc.charAt(doc.tree.atLeaf.ids[doc.tree.atIdx] + doc.tree.atOffset);
        return Character.isLowSurrogate(after);
    }

    /** Rejects unpaired surrogates; returns whether there are (paired) ones. */
    static boolean checkWellFormed(char[] chars) {
        boolean any = false;
        for (int i = 0; i < chars.length; i++) {
            char c = chars[i];
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < chars.length && Character.isLowSurrogate(chars[i + 1])) {
                    i++;
                    any = true;
                    continue;
                }
                throw new IllegalArgumentException("unpaired high surrogate at " + i);
            }
            if (Character.isLowSurrogate(c)) throw new IllegalArgumentException("unpaired low surrogate at " + i);
        }
        return any;
    }

    static int countAstral(char[] text, int off, int len) {
        int n = 0;
        for (int i = off, end = off + len; i < end; i++) {
            if (Character.isHighSurrogate(text[i])) n++;
        }
        return n;
    }
}
