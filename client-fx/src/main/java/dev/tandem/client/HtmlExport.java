package dev.tandem.client;

/**
 * Writes a document as a standalone HTML page: the body is the same HTML copying puts on the
 * clipboard ({@link RichClipboard#htmlBody}), so a page pasted back into Tandem keeps its
 * formatting; a small style sheet shows list levels ({@code data-indent}), which that HTML
 * marks but a browser would not show.
 *
 * <p>Any thread: a pure function of its input.
 */
final class HtmlExport {
    private HtmlExport() {}

    private static final String STYLE = """
            body { font-family: system-ui, sans-serif; line-height: 1.5; max-width: 44em; margin: 2em auto; padding: 0 1em; }
            p, li, h1, h2, h3, pre, blockquote { margin: 0.3em 0; }
            blockquote { border-left: 3px solid #ccc; padding-left: 1em; color: #555; }
            pre, code { font-family: ui-monospace, monospace; background: #f4f4f4; }
            pre { padding: 0.2em 0.5em; white-space: pre-wrap; }
            """ + indents();

    private static String indents() {
        StringBuilder css = new StringBuilder();
        for (int level = 1; level <= 8; level++) {
            css.append("[data-indent=\"").append(level).append("\"] { margin-left: ").append(2 * level).append("em; }\n");
        }
        return css.toString();
    }

    /** The page, titled {@code title} (escaped here). */
    static String write(FormattedText text, String title) {
        return "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>" + RichClipboard.escape(title) + "</title>\n"
                + "<style>\n" + STYLE + "</style>\n</head>\n<body>\n" + RichClipboard.htmlBody(text) + "\n</body>\n</html>\n";
    }
}
