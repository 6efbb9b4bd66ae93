package dev.tandem.crdt;

/**
 * The formatting schema: which marks and paragraph attributes a document holds and how each
 * behaves. It is part of the format (crdt/FORMAT.md, "Formatting"), so every replica agrees;
 * an operation with a key or value outside it is refused.
 *
 * <ul>
 *   <li>{@link #BOLD}, {@link #ITALIC}, {@link #UNDERLINE}, {@link #STRIKETHROUGH} and
 *       {@link #CODE}: value {@code "true"}; they grow when text is typed at their end, not at
 *       their start.</li>
 *   <li>{@link #LINK}: value the URL; grows at neither end.</li>
 *   <li>Comments, {@code "comment:ID"} (ID: 1-64 of {@code [A-Za-z0-9_-]}): value the comment;
 *       grow at neither end; one per ID, so several can cover the same text.</li>
 *   <li>Paragraph attributes {@link #BLOCK} (one of {@code h1 h2 h3 bullet numbered quote
 *       code}) and {@link #INDENT} ({@code 1}-{@code 8}), set on the line break that ends the
 *       paragraph (the last paragraph, which has none, keeps them at the document end).</li>
 * </ul>
 * Single-valued keys resolve concurrent writes by last writer on a Lamport timestamp (counter,
 * then replica id); a null value removes.
 */
public final class Formats {
    private Formats() {}

    public static final String BOLD = "bold";
    public static final String ITALIC = "italic";
    public static final String UNDERLINE = "underline";
    public static final String STRIKETHROUGH = "strikethrough";
    public static final String CODE = "code";
    public static final String LINK = "link";
    /** Prefix of comment keys: {@code "comment:" + id}. */
    public static final String COMMENT = "comment:";
    public static final String BLOCK = "block";
    public static final String INDENT = "indent";

    /** Longest value (a link or a comment), in UTF-16 units. */
    static final int MAX_VALUE = 16 * 1024;

    /** How a key behaves. */
    enum Kind {
        /** A mark that grows when text is typed at its end. */
        GROWING_MARK,
        /** A mark that grows at neither end (links, comments). */
        FIXED_MARK,
        /** A paragraph attribute. */
        PARAGRAPH
    }

    /** The kind of {@code key}, or null when it is not in the schema. */
    static Kind kindOf(String key) {
        if (key == null) return null;
        switch (key) {
            case BOLD, ITALIC, UNDERLINE, STRIKETHROUGH, CODE:
                return Kind.GROWING_MARK;
            case LINK:
                return Kind.FIXED_MARK;
            case BLOCK, INDENT:
                return Kind.PARAGRAPH;
            default:
                return isCommentKey(key) ? Kind.FIXED_MARK : null;
        }
    }

    static boolean isCommentKey(String key) {
        if (!key.startsWith(COMMENT)) return false;
        int n = key.length() - COMMENT.length();
        if (n < 1 || n > 64) return false;
        for (int i = COMMENT.length(); i < key.length(); i++) {
            char c = key.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-')) return false;
        }
        return true;
    }

    /** Why {@code value} cannot go with {@code key} (null: it can). A null value always can. */
    static String problem(String key, String value) {
        Kind kind = kindOf(key);
        if (kind == null) return "unknown formatting key " + quote(key);
        if (value == null) return null;
        if (value.length() > MAX_VALUE) return "value of " + key + " longer than " + MAX_VALUE;
        switch (key) {
            case BOLD, ITALIC, UNDERLINE, STRIKETHROUGH, CODE:
                return value.equals("true") ? null : key + " takes the value true, not " + quote(value);
            case BLOCK:
                return switch (value) {
                    case "h1", "h2", "h3", "bullet", "numbered", "quote", "code" -> null;
                    default -> "block takes h1 h2 h3 bullet numbered quote code, not " + quote(value);
                };
            case INDENT:
                return value.length() == 1 && value.charAt(0) >= '1' && value.charAt(0) <= '8' ? null : "indent takes 1-8, not " + quote(value);
            default:
                return value.isEmpty() ? key + " takes a non-empty value" : null;
        }
    }

    private static String quote(String s) {
        if (s == null) return "null";
        String cut = s.length() > 40 ? s.substring(0, 40) + "..." : s;
        StringBuilder b = new StringBuilder("\"");
        for (char c : cut.toCharArray()) {
            if (c < 0x20 || c == '"' || c == '\\') b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }
}
