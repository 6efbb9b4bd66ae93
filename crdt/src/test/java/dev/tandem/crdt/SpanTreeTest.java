package dev.tandem.crdt;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The B-tree of spans and span splitting, through a document with tiny nodes. */
class SpanTreeTest {
    @Test
    void manySpansSplitLeavesAndBranches() {
        Doc d = new Doc(1, 4, 4);
        StringBuilder model = new StringBuilder();
        Random rnd = new Random(3);
        for (int i = 0; i < 2000; i++) {
            int pos = rnd.nextInt(model.length() + 1);
            String s = Integer.toString(i % 10);
            d.insert(pos, s);
            model.insert(pos, s);
            if (i % 7 == 0 && model.length() > 3) {
                int at = rnd.nextInt(model.length() - 2);
                d.delete(at, 2);
                model.delete(at, at + 2);
            }
        }
        assertEquals(model.toString(), d.text());
        d.checkInvariants();
        Doc copy = Doc.decode(d.encode());
        assertEquals(model.toString(), copy.text());
        copy.checkInvariants();
    }

    @Test
    void theIdIndexMovesFromCharsToIntsWhenLeafNumbersOutgrowAChar_andStaysInStep() {
        // Tiny nodes switch at leaf 16 (Doc's test constructor); a real document at 65,535.
        Doc d = new Doc(1, 4, 4);
        Doc remote = new Doc(2);
        StringBuilder model = new StringBuilder();
        Random rnd = new Random(5);
        boolean sawNarrow = false;
        for (int i = 0; i < 600; i++) {
            int pos = rnd.nextInt(model.length() + 1);
            remote.apply(d.insert(pos, "ab"));
            model.insert(pos, "ab");
            if (d.tree.leaves.size() <= 16) sawNarrow = d.agents[0].wideLeafOf == null;
        }
        assertTrue(sawNarrow, "started with chars");
        assertTrue(d.agents[0].wideLeafOf != null, "moved to ints after " + d.tree.leaves.size() + " leaves");
        d.checkInvariants();
        // Deletions and remote edits find their characters through the wide index.
        remote.apply(d.delete(10, 30));
        model.delete(10, 40);
        d.apply(remote.insert(5, "xyz"));
        model.insert(5, "xyz");
        assertEquals(model.toString(), d.text());
        assertEquals(d.text(), remote.text());
        d.checkInvariants();
    }

    @Test
    void splittingAtEveryOffsetKeepsTextAndCounts() {
        String base = "abcdefghij";
        for (int at = 1; at < base.length(); at++) {
            Doc d = new Doc(1, 4, 4);
            d.insert(0, base);
            d.insert(at, "X");
            assertEquals(base.substring(0, at) + "X" + base.substring(at), d.text());
            d.delete(at, 1);
            assertEquals(base, d.text());
            d.checkInvariants();
        }
    }

    @Test
    void surrogatePairsAtEveryBoundary() {
        String smile = "\uD83D\uDE00";
        String text = smile + "a" + smile + smile + "b" + smile;
        for (int pos = 0; pos <= text.length(); pos++) {
            boolean inside = pos > 0 && pos < text.length() && Character.isLowSurrogate(text.charAt(pos));
            Doc d = new Doc(1, 4, 4);
            d.insert(0, text);
            int p = pos;
            if (inside) {
                assertThrows(IllegalArgumentException.class, () -> d.insert(p, "x"), "insert at " + pos);
                assertThrows(IllegalArgumentException.class, () -> d.delete(p, text.length() - p), "delete from " + pos);
                assertThrows(IllegalArgumentException.class, () -> d.delete(0, p), "delete up to " + pos);
            } else {
                d.insert(pos, "x");
                assertEquals(text.substring(0, pos) + "x" + text.substring(pos), d.text());
                d.delete(pos, 1);
                if (pos < text.length()) {
                    int end = pos + (Character.isHighSurrogate(text.charAt(pos)) ? 2 : 1);
                    d.delete(pos, end - pos);
                    assertEquals(text.substring(0, pos) + text.substring(end), d.text());
                }
            }
            d.checkInvariants();
            // The same document through a remote replica and a save: pairs stay whole.
            Doc r = new Doc(2, 4, 4);
            r.apply(d.updatesSince(Version.EMPTY));
            assertEquals(d.text(), r.text());
            assertEquals(d.text(), Doc.decode(d.encode()).text());
            assertEquals(d.text().codePointCount(0, d.length()), d.indexToCodePoint(d.length()));
        }
    }

    @Test
    void codePointConversionMatchesJava() {
        Doc d = new Doc(1, 4, 4);
        String text = "a\uD83D\uDE00b\u00e9\uD83D\uDC4D\uD83C\uDFFDcd";
        for (int i = 0; i < text.length(); i++) {
            if (!Character.isLowSurrogate(text.charAt(i))) {
                int end = i + (Character.isHighSurrogate(text.charAt(i)) ? 2 : 1);
                d.insert(d.length(), text.substring(i, end));
            }
        }
        assertEquals(text, d.text());
        for (int i = 0; i <= text.length(); i++) {
            if (i < text.length() && Character.isLowSurrogate(text.charAt(i))) continue;
            int cp = text.codePointCount(0, i);
            assertEquals(cp, d.indexToCodePoint(i), "index " + i);
            assertEquals(i, d.codePointToIndex(cp), "code point " + cp);
        }
    }
}
