package dev.tandem.client;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads a file to import: plain text ({@code .txt} and anything not Markdown) or Markdown
 * ({@code .md}, {@code .markdown}, read by {@link MarkdownImport}).
 *
 * <p>A file is untrusted and may be anything: it is refused, with a message that says why, when
 * it is larger than {@link #MAX_BYTES} (checked before reading, and while reading, in case it
 * grows), when it is not UTF-8 (decoded strictly: a malformed byte is an error, never a U+FFFD),
 * when it holds NUL characters (a binary file), or when it cannot be read. A byte order mark is
 * dropped; line endings become {@code \n}.
 *
 * <p>Blocking disk I/O: never call on the FX thread. Stateless.
 */
final class FileImport {
    /** The largest file imported: 10 MB, a long book; the editor stays usable with this much. */
    static final long MAX_BYTES = 10L * 1000 * 1000;

    /** A file that cannot be imported; the message is for the user. */
    static final class RefusedException extends IOException {
        RefusedException(String message) {
            super(message);
        }

        RefusedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private FileImport() {}

    static boolean isMarkdown(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".md") || name.endsWith(".markdown");
    }

    /** The formatted text of {@code file}, Markdown or plain by its name. */
    static FormattedText read(Path file) throws IOException {
        String text = readText(file);
        return isMarkdown(file) ? MarkdownImport.parse(text) : plain(text);
    }

    /** Plain text: a paragraph per line, no formatting. */
    static FormattedText plain(String text) {
        List<FormattedText.Paragraph> paragraphs = new ArrayList<>();
        for (String line : text.split("\n", -1)) {
            paragraphs.add(new FormattedText.Paragraph(Map.of(), line.isEmpty() ? List.of() : List.of(new dev.tandem.crdt.Doc.TextRun(line, Map.of()))));
        }
        return new FormattedText(paragraphs);
    }

    /** The text of {@code file}, checked (see the class comment), with {@code \n} line endings and no byte order mark. */
    static String readText(Path file) throws IOException {
        String name = file.getFileName() == null ? file.toString() : file.getFileName().toString();
        byte[] bytes;
        try {
            if (Files.isDirectory(file)) throw new RefusedException(name + " is a folder, not a file.");
            long size = Files.size(file);
            if (size > MAX_BYTES) throw tooLarge(name, size);
            try (InputStream in = Files.newInputStream(file)) {
                bytes = in.readNBytes((int) MAX_BYTES + 1); // never more, even if the file grew meanwhile
            }
        } catch (NoSuchFileException e) {
            throw new RefusedException(name + " does not exist (any more).", e);
        } catch (AccessDeniedException e) {
            throw new RefusedException("You may not read " + name + ".", e);
        }
        if (bytes.length > MAX_BYTES) throw tooLarge(name, bytes.length);
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        String text;
        try {
            text = utf8.decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new RefusedException(name + " is not UTF-8 text (" + firstInvalidByte(bytes)
                    + "). Save it as UTF-8 and import it again.", e);
        }
        if (text.indexOf('\0') >= 0) throw new RefusedException(name + " holds NUL characters: it looks like a binary file, not text.");
        if (text.startsWith("\uFEFF")) text = text.substring(1);
        return text.replace("\r\n", "\n").replace('\r', '\n');
    }

    private static RefusedException tooLarge(String name, long size) {
        return new RefusedException(name + " is too large to import (" + megabytes(size) + "; at most " + megabytes(MAX_BYTES) + ").");
    }

    /** In MB, rounded up to a tenth (a file just over the limit must not read as the limit). */
    private static String megabytes(long bytes) {
        double tenths = Math.ceil(bytes / 1e5);
        return (tenths % 10 == 0 ? String.valueOf((long) tenths / 10) : String.format(Locale.ROOT, "%.1f", tenths / 10)) + " MB";
    }

    /** Where the first byte that is not UTF-8 sits, for the message. */
    private static String firstInvalidByte(byte[] bytes) {
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(bytes.length + 1);
        var result = utf8.decode(in, out, true);
        if (result.isError()) return String.format(Locale.ROOT, "byte 0x%02X at offset %d", bytes[in.position()] & 0xFF, in.position());
        return "invalid UTF-8";
    }
}
