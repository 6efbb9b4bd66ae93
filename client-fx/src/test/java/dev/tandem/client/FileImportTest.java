package dev.tandem.client;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Formats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Reading files to import, from real files on disk: what is accepted, and each refusal with its message. */
class FileImportTest {
    @TempDir Path dir;

    @Test
    void plainText_lineEndingsAndByteOrderMark() throws IOException {
        Path f = dir.resolve("notes.txt");
        Files.write(f, "\uFEFFone\r\ntwo\rthree\n# not markdown".getBytes(StandardCharsets.UTF_8));
        FormattedText t = FileImport.read(f);
        assertEquals("one\ntwo\nthree\n# not markdown", t.plainText());
        assertTrue(t.paragraphs().stream().allMatch(p -> p.attributes().isEmpty()), "a .txt file is not read as Markdown");
    }

    @Test
    void markdownByItsName() throws IOException {
        Path f = dir.resolve("README.MD");
        Files.writeString(f, "# Title\r\n\r\n**bold**\r\n");
        FormattedText t = FileImport.read(f);
        assertEquals("Title\nbold", t.plainText());
        assertEquals("h1", t.paragraphs().get(0).block());
        assertEquals(Map.of(Formats.BOLD, "true"), t.paragraphs().get(1).runs().get(0).marks());
    }

    @Test
    void oversizeFile_isRefusedBeforeReading() throws IOException {
        Path f = dir.resolve("big.txt");
        try (var out = Files.newOutputStream(f)) {
            byte[] block = new byte[1 << 20];
            java.util.Arrays.fill(block, (byte) 'a');
            for (int i = 0; i < 10; i++) out.write(block); // 10 MiB > 10 MB
        }
        IOException e = assertThrows(FileImport.RefusedException.class, () -> FileImport.read(f));
        assertEquals("big.txt is too large to import (10.5 MB; at most 10 MB).", e.getMessage());
    }

    @Test
    void exactlyTheLimit_isAccepted() throws IOException {
        Path f = dir.resolve("limit.txt");
        Files.write(f, "a".repeat((int) FileImport.MAX_BYTES).getBytes(StandardCharsets.UTF_8));
        assertEquals(FileImport.MAX_BYTES, FileImport.read(f).plainText().length());
    }

    @Test
    void invalidUtf8_isRefusedWithWhereItIs() throws IOException {
        Path f = dir.resolve("latin1.txt");
        Files.write(f, "caf\u00e9".getBytes(StandardCharsets.ISO_8859_1));
        IOException e = assertThrows(FileImport.RefusedException.class, () -> FileImport.read(f));
        assertEquals("latin1.txt is not UTF-8 text (byte 0xE9 at offset 3). Save it as UTF-8 and import it again.", e.getMessage());
    }

    @Test
    void truncatedUtf8Sequence_isRefused() throws IOException {
        Path f = dir.resolve("cut.md");
        Files.write(f, new byte[] {'o', 'k', (byte) 0xE6, (byte) 0x97});
        assertThrows(FileImport.RefusedException.class, () -> FileImport.read(f));
    }

    @Test
    void binaryFile_isRefused() throws IOException {
        Path f = dir.resolve("image.txt");
        Files.write(f, new byte[] {'P', 'K', 3, 4, 0, 0, 0});
        IOException e = assertThrows(FileImport.RefusedException.class, () -> FileImport.read(f));
        assertTrue(e.getMessage().contains("binary"), e.getMessage());
    }

    @Test
    void missingFile_andFolder_areRefused() {
        IOException missing = assertThrows(FileImport.RefusedException.class, () -> FileImport.read(dir.resolve("gone.md")));
        assertEquals("gone.md does not exist (any more).", missing.getMessage());
        IOException folder = assertThrows(FileImport.RefusedException.class, () -> FileImport.read(dir));
        assertTrue(folder.getMessage().endsWith("is a folder, not a file."), folder.getMessage());
    }

    @Test
    void fragment_joinsMarksAcrossRunsAndKeepsEveryParagraphStyle() {
        FormattedText t = new FormattedText(List.of(
                new FormattedText.Paragraph(Map.of(Formats.BLOCK, "h1"), List.of(new Doc.TextRun("ab", Map.of(Formats.BOLD, "true")),
                        new Doc.TextRun("cd", Map.of(Formats.BOLD, "true", Formats.ITALIC, "true")))),
                new FormattedText.Paragraph(Map.of(), List.of())));
        RichClipboard.Fragment f = t.toFragment();
        assertEquals("abcd\n", f.text());
        assertEquals(List.of(new RichClipboard.Mark(0, 4, Formats.BOLD, "true"), new RichClipboard.Mark(2, 4, Formats.ITALIC, "true")), f.marks());
        assertEquals(List.of(Map.of(Formats.BLOCK, "h1"), Map.of()), f.paragraphs());
        assertTrue(f.lastWhole());
    }
}
