package dev.tandem.client;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Formats;
import dev.tandem.hub.Hub;
import dev.tandem.hub.HubConfig;
import dev.tandem.sync.SyncClient;
import dev.tandem.sync.SyncConfig;
import javafx.application.Application;
import javafx.scene.Node;
import javafx.scene.control.DialogPane;
import javafx.scene.control.Menu;
import javafx.scene.control.MenuBar;
import javafx.scene.control.MenuItem;
import javafx.scene.input.KeyCode;
import javafx.stage.FileChooser;
import javafx.stage.Window;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;
import org.testfx.api.FxToolkit;

import java.io.File;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.tandem.client.UiTesting.WAIT_SECONDS;
import static dev.tandem.client.UiTesting.eventually;
import static dev.tandem.client.UiTesting.fx;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The File menu's export, import and print, in the real application against a real in-process
 * hub, headless. The file dialogs are answered through {@link FileCommands.Picker} (a native
 * dialog cannot be driven here); everything after the choice is the real path: menu item,
 * snapshot, writing on the io thread, reading and parsing off the FX thread, the editor's
 * local-edit path, the hub.
 */
class ExportImportUiTest {
    @TempDir Path dir;
    private final FxRobot robot = new FxRobot();
    private Application app;
    private Hub hub;
    private URI server;
    private TandemApp tandem;
    private RoomSession session;
    private File chosen; // what the next file dialog answers

    @BeforeEach
    void openRoom() throws Exception {
        hub = Hub.start(HubConfig.defaults(dir.resolve("hub")).withPort(0).withSecurity(dev.tandem.hub.HubSecurity.none()));
        server = URI.create("ws://127.0.0.1:" + hub.port());
        FxToolkit.registerPrimaryStage();
        tandem = (TandemApp) FxToolkit.setupApplication(TandemApp.class,
                "--server", server.toString(), "--room", "notes", "--name", "Ada", "--data", dir.resolve("data").toString());
        app = tandem;
        eventually("the room window is open", () -> tandem.sessions().size() == 1);
        session = fx(() -> tandem.sessions().get(0));
        fx(() -> {
            session.window.files.setPicker(new FileCommands.Picker() {
                @Override public File save(Window owner, String title, String initialName, FileChooser.ExtensionFilter filter) {
                    return chosen;
                }

                @Override public File open(Window owner, String title, List<FileChooser.ExtensionFilter> filters) {
                    return chosen;
                }
            });
            return null;
        });
        eventually("the editor has the focus", () -> session.window.area.isFocused());
    }

    @AfterEach
    void stop() throws Exception {
        if (app != null) FxToolkit.cleanupApplication(app);
        FxToolkit.cleanupStages();
        if (hub != null) hub.close();
    }

    private static MenuItem menuItem(RoomSession s, String id) throws Exception {
        return fx(() -> {
            MenuBar bar = (MenuBar) s.window.stage.getScene().lookup(".menu-bar");
            for (Menu m : bar.getMenus()) for (MenuItem i : m.getItems()) if (id.equals(i.getId())) return i;
            throw new AssertionError("no menu item " + id);
        });
    }

    private static void choose(RoomSession s, String id) throws Exception {
        MenuItem item = menuItem(s, id);
        fx(() -> {
            item.fire();
            return null;
        });
    }

    /** The text of the error dialog that is showing (waits for it), which is then closed. */
    private String errorDialog() throws Exception {
        return errorDialogOf("#file-error");
    }

    private String errorDialogOf(String id) throws Exception {
        eventually("an error dialog shows", () -> Window.getWindows().stream().anyMatch(w -> w.getScene() != null && w.getScene().lookup(id) != null));
        return fx(() -> {
            Window w = Window.getWindows().stream().filter(x -> x.getScene() != null && x.getScene().lookup(id) != null).findFirst().orElseThrow();
            DialogPane pane = (DialogPane) w.getScene().lookup(id);
            String text = pane.getHeaderText() + " | " + pane.getContentText();
            w.hide();
            return text;
        });
    }

    private static String hubText(URI server, String room) throws Exception {
        try (SyncClient c = SyncClient.start(SyncConfig.builder(server, room, new Doc()).build(), null)) {
            c.synced().get(WAIT_SECONDS, TimeUnit.SECONDS);
            return c.text().get(WAIT_SECONDS, TimeUnit.SECONDS);
        }
    }

    private void allSent(RoomSession s) throws Exception {
        fx(() -> s.sync().flush()).get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    /** Types a heading and a line with a bold word, with the editor's own commands. */
    private void typeFormattedText() throws Exception {
        robot.write("Title\nsome bold & <odd> words");
        eventually("typed", () -> session.text().equals("Title\nsome bold & <odd> words"));
        fx(() -> {
            session.window.area.moveTo(0);
            session.window.commands.run("h1");
            session.window.area.selectRange(11, 15);
            session.window.commands.run("bold");
            return null;
        });
    }

    @Test
    void exportAsMarkdownHtmlAndText_writesTheChosenFile() throws Exception {
        typeFormattedText();
        chosen = dir.resolve("out").resolve("notes.md").toFile();
        choose(session, "menu-export-markdown");
        Path md = chosen.toPath();
        eventually("the Markdown file is written", () -> Files.exists(md));
        assertEquals("# Title\n\nsome **bold** & \\<odd> words\n", Files.readString(md));

        chosen = dir.resolve("notes.html").toFile();
        choose(session, "menu-export-html");
        Path html = chosen.toPath();
        eventually("the HTML file is written", () -> Files.exists(html));
        String page = Files.readString(html);
        assertTrue(page.startsWith("<!DOCTYPE html>") && page.contains("<title>notes</title>"), page);
        assertTrue(page.contains("<h1>Title</h1><p>some <strong>bold</strong> &amp; &lt;odd&gt; words</p>"), page);

        chosen = dir.resolve("notes.txt").toFile();
        Files.writeString(chosen.toPath(), "an older export, replaced whole");
        choose(session, "menu-export-text");
        Path txt = chosen.toPath();
        eventually("the text file is replaced", () -> Files.readString(txt).startsWith("Title"));
        assertEquals("Title\nsome bold & <odd> words", Files.readString(txt, StandardCharsets.UTF_8));
        try (var leftovers = Files.list(dir)) {
            assertTrue(leftovers.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file left behind");
        }
    }

    @Test
    void exportThatCannotBeWritten_saysWhy_andLeavesNothing() throws Exception {
        Path notAFolder = dir.resolve("plain-file");
        Files.writeString(notAFolder, "x");
        chosen = notAFolder.resolve("notes.md").toFile();
        choose(session, "menu-export-markdown");
        String error = errorDialog();
        assertTrue(error.startsWith("Could not export to notes.md | Cannot write " + chosen.getAbsolutePath()), error);
        assertEquals("x", Files.readString(notAFolder));
    }

    @Test
    void insertFile_atTheCaret_formatted_oneUndoStep_reachesTheHub() throws Exception {
        robot.write("before after");
        eventually("typed", () -> session.text().equals("before after"));
        Path md = dir.resolve("import.md");
        Files.writeString(md, "## Imported\n\n- item **b**\n  - nested [link](https://example.com/)\n\n> quoted\n");
        chosen = md.toFile();
        fx(() -> {
            session.window.area.moveTo(7);
            return null;
        });
        choose(session, "menu-insert-file");
        eventually("the file is inserted", () -> session.text().contains("Imported"));
        assertEquals("before Imported\nitem b\nnested link\nquotedafter", session.text());
        fx(() -> {
            Doc doc = session.window.binding.doc();
            assertEquals("h2", doc.paragraph(0).get(Formats.BLOCK), "the paragraph the file starts in takes its first paragraph's style");
            assertEquals(Map.of(Formats.BLOCK, "bullet"), doc.paragraph(17));
            assertEquals(Map.of(Formats.BLOCK, "bullet", Formats.INDENT, "1"), doc.paragraph(24));
            assertEquals(Map.of(Formats.BOLD, "true"), doc.runs(21, 22).get(0).marks());
            assertEquals("https://example.com/", doc.runs(30, 34).get(0).marks().get(Formats.LINK));
            assertEquals(1, doc.runs(30, 34).size());
            return null;
        });
        allSent(session);
        assertEquals("before Imported\nitem b\nnested link\nquotedafter", hubText(server, "notes"));

        robot.press(KeyCode.CONTROL).type(KeyCode.Z).release(KeyCode.CONTROL);
        eventually("one undo takes the whole insert back", () -> session.text().equals("before after"));
        assertEquals(Map.of(), fx(() -> session.window.binding.doc().paragraph(0)));
    }

    @Test
    void refusedFiles_sayWhy_andChangeNothing() throws Exception {
        robot.write("kept");
        eventually("typed", () -> session.text().equals("kept"));

        Path big = dir.resolve("big.txt");
        try (var out = Files.newOutputStream(big)) {
            out.write(new byte[(int) FileImport.MAX_BYTES + 1]);
        }
        chosen = big.toFile();
        choose(session, "menu-insert-file");
        assertEquals("Could not import big.txt | big.txt is too large to import (10.1 MB; at most 10 MB).", errorDialog());

        Path latin1 = dir.resolve("latin1.md");
        Files.write(latin1, "caf\u00e9".getBytes(StandardCharsets.ISO_8859_1));
        chosen = latin1.toFile();
        choose(session, "menu-insert-file");
        assertEquals("Could not import latin1.md | latin1.md is not UTF-8 text (byte 0xE9 at offset 3). Save it as UTF-8 and import it again.", errorDialog());

        chosen = dir.resolve("gone.txt").toFile();
        choose(session, "menu-import-room");
        assertEquals("Could not import gone.txt | gone.txt does not exist (any more).", errorDialog());

        assertEquals("kept", session.text());
        assertEquals(1, fx(() -> tandem.sessions().size()));
    }

    @Test
    void importIntoNewRoom_opensTheRoomWithTheFile_onTheSameHub() throws Exception {
        Path md = dir.resolve("Meeting notes!.md");
        Files.writeString(md, "# Agenda\n\n1. one\n2. two\n");
        chosen = md.toFile();
        choose(session, "menu-import-room");
        eventually("the room name is asked", () -> Window.getWindows().stream().anyMatch(w -> w.getScene() != null && w.getScene().lookup("#import-room-name") != null));
        Node field = fx(() -> Window.getWindows().stream().map(w -> w.getScene().lookup("#import-room-name")).filter(n -> n != null).findFirst().orElseThrow());
        assertEquals("Meeting notes-", fx(() -> ((javafx.scene.control.TextField) field).getText()), "suggested from the file's name");
        fx(() -> {
            ((javafx.scene.control.TextField) field).setText("agenda");
            return null;
        });
        robot.clickOn(field).type(KeyCode.ENTER);
        eventually("the new room opens", () -> tandem.sessions().size() == 2);
        RoomSession imported = fx(() -> tandem.sessions().stream().filter(s -> s.address.room().equals("agenda")).findFirst().orElseThrow());
        eventually("the new room holds the file", () -> imported.text().equals("Agenda\none\ntwo"));
        fx(() -> {
            assertEquals("h1", imported.window.binding.doc().paragraph(0).get(Formats.BLOCK));
            assertEquals("numbered", imported.window.binding.doc().paragraph(7).get(Formats.BLOCK));
            return null;
        });
        allSent(imported);
        assertEquals("Agenda\none\ntwo", hubText(server, "agenda"));
        assertEquals("", session.text(), "the window it was imported from is unchanged");
    }

    @Test
    void importIntoARoomThatHasText_isRefused_andTheRoomKeepsItsText() throws Exception {
        try (SyncClient other = SyncClient.start(SyncConfig.builder(server, "taken", new Doc()).build(), null)) {
            other.synced().get(WAIT_SECONDS, TimeUnit.SECONDS);
            other.edit(d -> d.insert(0, "someone's text")).get(WAIT_SECONDS, TimeUnit.SECONDS);
            other.flush().get(WAIT_SECONDS, TimeUnit.SECONDS);
        }
        Path txt = dir.resolve("mine.txt");
        Files.writeString(txt, "my file");
        chosen = txt.toFile();
        choose(session, "menu-import-room");
        eventually("the room name is asked", () -> Window.getWindows().stream().anyMatch(w -> w.getScene() != null && w.getScene().lookup("#import-room-name") != null));
        Node field = fx(() -> Window.getWindows().stream().map(w -> w.getScene().lookup("#import-room-name")).filter(n -> n != null).findFirst().orElseThrow());
        fx(() -> {
            ((javafx.scene.control.TextField) field).setText("taken");
            return null;
        });
        robot.clickOn(field).type(KeyCode.ENTER);
        String error = errorDialogOf("#import-refused");
        assertTrue(error.contains("Room taken has text already: the file was not added to it."), error);
        RoomSession taken = fx(() -> tandem.sessions().stream().filter(s -> s.address.room().equals("taken")).findFirst().orElseThrow());
        eventually("the room shows its own text", () -> taken.text().equals("someone's text"));
        assertEquals("someone's text", hubText(server, "taken"));
    }

    @Test
    void printShortcut_withoutAPrinter_saysSo() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(fx(() -> javafx.print.Printer.getDefaultPrinter() == null), "a printer is set up here");
        robot.press(KeyCode.CONTROL).type(KeyCode.P).release(KeyCode.CONTROL);
        assertEquals("Cannot print | No printer is set up on this computer.", errorDialog());
    }
}
