package dev.tandem.client;

/**
 * Makes a name that came from the network safe to show. Anyone in a room (or a hostile hub) chooses
 * the names everybody sees, so a name must not be able to break a label over several lines, reorder
 * the text around it (bidi overrides and isolates), hide itself, stack marks until it overflows its
 * row, or push everything else out of the sidebar. Plain Java.
 */
final class DisplayNames {
    /** The longest name shown, in code points; longer names end in an ellipsis. Same as the start screen allows. */
    static final int MAX_LENGTH = StartViewModel.MAX_NAME_LENGTH;
    /** Combining marks kept on one character: enough for any script, not enough to overflow a row. */
    static final int MAX_MARKS = 3;
    static final String ANONYMOUS = "Anonymous";

    private DisplayNames() {}

    /**
     * The name as shown: control characters and line or paragraph separators become spaces; bidi
     * controls and other invisible format characters are dropped (the zero-width joiner and
     * non-joiner stay: emoji and some scripts need them); an unpaired surrogate becomes U+FFFD;
     * runs of spaces collapse; at most {@link #MAX_LENGTH} code points. Blank or null: "Anonymous".
     */
    static String clean(String raw) {
        if (raw == null) return ANONYMOUS;
        StringBuilder b = new StringBuilder(Math.min(raw.length(), 4 * MAX_LENGTH));
        int marks = 0;
        int kept = 0; // code points in b
        boolean truncated = false;
        for (int i = 0; i < raw.length(); ) {
            int cp = raw.codePointAt(i);
            i += Character.charCount(cp);
            int type = Character.getType(cp);
            if (type == Character.CONTROL || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR
                    || Character.isWhitespace(cp) || Character.isSpaceChar(cp)) {
                cp = ' ';
            } else if (type == Character.FORMAT && cp != 0x200C && cp != 0x200D) {
                continue; // bidi embeddings, overrides, isolates and marks, zero-width spaces, BOM...
            } else if (type == Character.SURROGATE) {
                cp = 0xFFFD;
            }
            if (cp == ' ' && (b.isEmpty() || b.charAt(b.length() - 1) == ' ')) continue;
            boolean mark = type == Character.NON_SPACING_MARK || type == Character.ENCLOSING_MARK;
            marks = mark ? marks + 1 : 0;
            if (marks > MAX_MARKS) continue;
            if (kept == MAX_LENGTH) {
                truncated = true;
                break;
            }
            b.appendCodePoint(cp);
            kept++;
        }
        if (truncated) {
            b.setLength(b.offsetByCodePoints(0, MAX_LENGTH - 1));
            stripTrailingSpace(b);
            b.append('\u2026');
        }
        stripTrailingSpace(b);
        return b.isEmpty() ? ANONYMOUS : b.toString();
    }

    private static void stripTrailingSpace(StringBuilder b) {
        while (!b.isEmpty() && b.charAt(b.length() - 1) == ' ') b.setLength(b.length() - 1);
    }
}
