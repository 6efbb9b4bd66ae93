package dev.tandem.client;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Formats;
import dev.tandem.sync.SyncClient;
import javafx.scene.input.KeyCode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.tandem.client.UiTesting.WAIT_SECONDS;
import static dev.tandem.client.UiTesting.eventually;
import static dev.tandem.client.UiTesting.fx;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The editor as a user meets it: undo and redo, formatting, markdown shortcuts, find and replace.
 * Real windows (headless Monocle), real key events, a real hub on a loopback port, real files.
 */
class EditorUiTest {
    private static TestRooms rooms;
    @TempDir static Path hubDir;
    @TempDir Path dir;

    private final FxRobot robot = new FxRobot();

    @BeforeAll
    static void startHub() throws Exception {
        rooms = TestRooms.start(hubDir);
    }

    @AfterAll
    static void stopHub() {
        rooms.closeHub();
    }

    @AfterEach
    void closeEverything() throws Exception {
        rooms.closeEverything();
    }

    // ---- helpers

    private RoomSession openRoom(String name, String room) throws Exception {
        return openRoom(name, room, dir.resolve(name));
    }

    /** A window of this test's size, once it is connected to the hub. */
    private RoomSession openRoom(String name, String room, Path dataDir) throws Exception {
        RoomSession s = rooms.open(name, "#1f77b4", rooms.server, room, dataDir, 760, 420);
        eventually(name + " is connected", () -> s.window.status.connectionProperty().get() == StatusViewModel.Connection.CONNECTED);
        return s;
    }

    private void close(RoomSession s) throws Exception {
        rooms.close(s);
    }

    private SyncClient headlessPeer(String room) throws Exception {
        return rooms.headlessPeer(room);
    }

    /** Waits until the window and its replica read {@code expected}; on time-out, says what they read. */
    private static void typed(RoomSession s, String expected) throws Exception {
        try {
            org.testfx.util.WaitForAsyncUtils.waitFor(WAIT_SECONDS, TimeUnit.SECONDS,
                    () -> fx(() -> s.window.area.getText().equals(expected) && s.text().equals(expected)));
        } catch (java.util.concurrent.TimeoutException e) {
            assertEquals(expected, fx(s::text), "the replica's text");
            assertEquals(expected, fx(s.window.area::getText), "the window's text");
        }
    }

    private static void allSent(RoomSession s) throws Exception {
        fx(() -> s.sync().flush()).get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    /** Gives {@code s}'s editor the keyboard focus with a click, keeping its selection. */
    private void focus(RoomSession s) throws Exception {
        int[] sel = fx(() -> new int[] {s.window.area.getAnchor(), s.window.area.getCaretPosition()});
        fx(() -> {
            s.window.stage.toFront();
            return null;
        });
        robot.targetWindow(s.window.stage);
        robot.clickOn(s.window.area);
        fx(() -> {
            s.window.area.selectRange(sel[0], sel[1]);
            return null;
        });
    }

    private void shortcut(RoomSession s, KeyCode... keys) throws Exception {
        focus(s);
        KeyCode[] all = new KeyCode[keys.length + 1];
        all[0] = KeyCode.CONTROL;
        System.arraycopy(keys, 0, all, 1, keys.length);
        robot.push(all);
    }

    private static void select(RoomSession s, int from, int to) throws Exception {
        fx(() -> {
            s.window.area.selectRange(from, to);
            return null;
        });
    }

    /** The style classes the editor shows on character {@code pos}. */
    private static Collection<String> classesAt(RoomSession s, int pos) throws Exception {
        return fx(() -> List.copyOf(s.window.area.getStyleSpans(pos, pos + 1).iterator().next().getStyle()));
    }

    private static Collection<String> paragraphClasses(RoomSession s, int paragraph) throws Exception {
        return fx(() -> List.copyOf(s.window.area.getParagraph(paragraph).getParagraphStyle()));
    }

    // ---- undo and redo

    @Test
    void undo_takesBackOnlyMyEdits_whileTheOtherKeepsTyping_andRedoBringsThemBack() throws Exception {
        RoomSession ada = openRoom("Ada", "undo-mine");
        RoomSession bob = openRoom("Bob", "undo-mine");
        focus(ada);
        robot.write("ada ");
        typed(ada, "ada ");
        fx(() -> {
            ada.window.binding.closeStep();
            return null;
        });
        robot.write("types");
        typed(ada, "ada types");
        eventually("Bob has Ada's text", () -> bob.window.area.getText().equals("ada types"));
        // Bob types at the end while Ada undoes.
        focus(bob);
        fx(() -> {
            bob.window.area.moveTo(bob.window.area.getLength());
            return null;
        });
        robot.write(" bob");
        typed(bob, "ada types bob");
        eventually("Ada has Bob's text", () -> ada.window.area.getText().equals("ada types bob"));
        shortcut(ada, KeyCode.Z);
        eventually("Ada's last step is undone, Bob's text stays", () -> ada.window.area.getText().equals("ada  bob"));
        assertEquals(4, fx(() -> ada.window.area.getCaretPosition()), "the caret returns to where the step began");
        focus(bob);
        robot.write("!");
        // "ada " is one step or two (a first keystroke can come more than 500 ms before the next):
        // undo until it is gone; Bob's typing is never touched.
        for (int i = 0; i < 3 && !fx(ada::text).equals(" bob!"); i++) {
            String before = fx(ada::text);
            shortcut(ada, KeyCode.Z);
            eventually("Ada's Ctrl+Z takes something back", () -> !ada.text().equals(before));
            assertTrue(fx(ada::text).endsWith(" bob!"), "Bob's typing stays: " + fx(ada::text));
        }
        typed(ada, " bob!");
        eventually("Bob sees the same", () -> bob.window.area.getText().equals(" bob!"));
        shortcut(ada, KeyCode.SHIFT, KeyCode.Z);
        eventually("Ctrl+Shift+Z redoes", () -> !ada.text().equals(" bob!") && "ada  bob!".endsWith(ada.text()));
        for (int i = 0; i < 2 && !fx(ada::text).equals("ada  bob!"); i++) shortcut(ada, KeyCode.SHIFT, KeyCode.Z);
        typed(ada, "ada  bob!");
        shortcut(ada, KeyCode.Y);
        typed(ada, "ada types bob!"); // Ctrl+Y redoes too
        eventually("Bob sees the redo", () -> bob.window.area.getText().equals("ada types bob!"));
        shortcut(bob, KeyCode.Z);
        typed(bob, "ada types bob"); // Bob's Ctrl+Z takes back Bob's typing only
        eventually("and Ada sees it", () -> ada.window.area.getText().equals("ada types bob"));
    }

    @Test
    void undo_fromTheEditMenu_putsBackDeletedTextAndSelection() throws Exception {
        RoomSession ada = openRoom("Ada", "undo-menu");
        focus(ada);
        robot.write("keep this text");
        typed(ada, "keep this text");
        robot.type(KeyCode.LEFT, 4); // moving the caret ends the typing step
        robot.press(KeyCode.SHIFT).type(KeyCode.LEFT, 5).release(KeyCode.SHIFT);
        eventually("\"this \" selected", () -> ada.window.area.getSelectedText().equals("this "));
        robot.type(KeyCode.DELETE);
        typed(ada, "keep text");
        fx(() -> {
            ada.window.commands.command("undo").action().run();
            return null;
        });
        typed(ada, "keep this text");
        assertEquals("this ", fx(() -> ada.window.area.getSelectedText()), "the deleted text comes back selected");
    }

    @Test
    void undo_survivesReconnectAndRestartFromTheOfflineCopy() throws Exception {
        Path data = dir.resolve("ada");
        RoomSession ada = openRoom("Ada", "undo-restart", data);
        focus(ada);
        robot.write("first");
        typed(ada, "first");
        fx(() -> {
            ada.window.binding.closeStep();
            return null;
        });
        robot.write(" second");
        typed(ada, "first second");
        fx(() -> {
            ada.setOffline(true);
            return null;
        });
        eventually("offline", () -> ada.window.status.connectionProperty().get() == StatusViewModel.Connection.OFFLINE);
        fx(() -> {
            ada.setOffline(false);
            return null;
        });
        eventually("online again", () -> ada.window.status.connectionProperty().get() == StatusViewModel.Connection.CONNECTED);
        shortcut(ada, KeyCode.Z);
        typed(ada, "first");
        shortcut(ada, KeyCode.Y);
        typed(ada, "first second");
        allSent(ada);
        long id = fx(() -> ada.window.binding.doc().replicaId());
        close(ada);
        assertTrue(Files.exists(new OfflineCopy(RoomSession.replicaFile(data, new RoomAddress(rooms.server, "undo-restart"))).undoFile()));

        RoomSession again = openRoom("Ada", "undo-restart", data);
        assertEquals(id, fx(() -> again.window.binding.doc().replicaId()), "the replica keeps its id with its undo history");
        typed(again, "first second");
        shortcut(again, KeyCode.Z);
        typed(again, "first");
        shortcut(again, KeyCode.Z);
        typed(again, "");
        SyncClient probe = headlessPeer("undo-restart");
        eventually("the hub has the undo", () -> probe.text().get().isEmpty());
    }

    @Test
    void aFailedSave_dropsTheUndoHistory_soTheOldIdIsNeverReused() throws Exception {
        Path file = dir.resolve("rooms").resolve("x.tandem");
        OfflineCopy copy = new OfflineCopy(file);
        Doc doc = new Doc();
        var undo = new dev.tandem.crdt.UndoManager(doc);
        undo.insert(0, "saved");
        copy.offerStacks(doc.replicaId(), undo.encode());
        copy.save(doc.encode());
        assertTrue(Files.exists(copy.undoFile()));
        assertEquals(doc.replicaId(), copy.read(doc.encode()).doc().replicaId(), "after a good save the id is kept");
        // The disk fails: a directory where the file must be renamed to.
        Files.delete(file);
        Files.createDirectories(file.resolve("blocker"));
        assertThrows(java.io.IOException.class, () -> copy.save(doc.encode()));
        assertFalse(Files.exists(copy.undoFile()), "no undo history: it would reuse an id whose edits the file may lack");
        copy.flushStacks();
        assertFalse(Files.exists(copy.undoFile()), "nor written on close");
    }

    @Test
    void unreadableUndoHistory_isIgnoredAndTheRoomOpens() throws Exception {
        Path file = dir.resolve("rooms").resolve("y.tandem");
        OfflineCopy copy = new OfflineCopy(file);
        Doc doc = new Doc();
        doc.insert(0, "text");
        Files.createDirectories(file.getParent());
        Files.write(file, doc.encode());
        byte[] garbage = new byte[64];
        new java.util.Random(7).nextBytes(garbage);
        Files.write(copy.undoFile(), garbage);
        OfflineCopy.Reopened r = copy.read(doc.encode());
        assertEquals("text", r.doc().text());
        assertNotEquals(doc.replicaId(), r.doc().replicaId(), "without history, a fresh id");
        assertFalse(r.undo().canUndo());
    }

    // ---- formatting

    @Test
    void bold_withTheShortcut_reachesTheOtherClientAsBold_andOnlyThatRangeIsRestyled() throws Exception {
        RoomSession ada = openRoom("Ada", "bold");
        RoomSession bob = openRoom("Bob", "bold");
        focus(ada);
        robot.write("make this bold\nsecond line\nthird line");
        typed(ada, "make this bold\nsecond line\nthird line");
        eventually("Bob has the text", () -> bob.text().equals(ada.text()));
        List<int[]> bobRestyles = new ArrayList<>();
        fx(() -> bob.window.area.richChanges().subscribe(c -> bobRestyles.add(new int[] {c.getPosition(), c.getInserted().length(),
                c.getRemoved().getText().equals(c.getInserted().getText()) ? 1 : 0})));
        select(ada, 5, 9);
        shortcut(ada, KeyCode.B);
        eventually("Ada sees \"this\" bold", () -> classesAt(ada, 5).contains("bold") && classesAt(ada, 8).contains("bold"));
        assertFalse(classesAt(ada, 4).contains("bold"));
        assertFalse(classesAt(ada, 9).contains("bold"));
        assertTrue(fx(() -> ((javafx.scene.control.ToggleButton) ada.window.commands.toolButton("bold")).isSelected()),
                "the toolbar shows bold for the selection");
        eventually("Bob sees it bold", () -> classesAt(bob, 5).contains("bold") && classesAt(bob, 8).contains("bold")
                && !classesAt(bob, 9).contains("bold"));
        assertEquals("true", fx(() -> bob.window.binding.doc().runs(5, 9).get(0).marks().get(Formats.BOLD)));
        for (int[] c : bobRestyles) {
            assertEquals(1, c[2], "a restyle only, no text replaced");
            assertTrue(c[0] >= 5 && c[0] + c[1] <= 9, "only the bold range is restyled, not " + c[0] + "+" + c[1]);
        }
        assertFalse(bobRestyles.isEmpty());
        // Typing at the end of bold stays bold (the crdt decides), at its start it does not.
        fx(() -> {
            ada.window.area.moveTo(9);
            return null;
        });
        robot.write("!");
        typed(ada, "make this! bold\nsecond line\nthird line");
        eventually("the typed character is bold", () -> classesAt(ada, 9).contains("bold"));
        shortcut(ada, KeyCode.Z);
        typed(ada, "make this bold\nsecond line\nthird line");
        shortcut(ada, KeyCode.Z);
        eventually("undo takes the bold back", () -> !classesAt(ada, 5).contains("bold"));
        eventually("for Bob too", () -> !classesAt(bob, 5).contains("bold"));
    }

    @Test
    void headingAndList_showForBoth_andSurviveRestartFromTheOfflineCopy() throws Exception {
        Path data = dir.resolve("ada");
        RoomSession ada = openRoom("Ada", "blocks", data);
        RoomSession bob = openRoom("Bob", "blocks");
        focus(ada);
        robot.write("Title\none\ntwo\nthree");
        typed(ada, "Title\none\ntwo\nthree");
        select(ada, 0, 0);
        shortcut(ada, KeyCode.ALT, KeyCode.DIGIT1);
        eventually("a heading", () -> paragraphClasses(ada, 0).contains("h1"));
        select(ada, 6, 17);
        shortcut(ada, KeyCode.SHIFT, KeyCode.DIGIT7);
        eventually("a numbered list", () -> paragraphClasses(ada, 1).contains("numbered") && paragraphClasses(ada, 3).contains("numbered"));
        select(ada, 11, 11);
        focus(ada);
        robot.type(KeyCode.TAB);
        eventually("Tab indents the list item", () -> paragraphClasses(ada, 2).contains("indent-1"));
        assertEquals("Title\none\ntwo\nthree", fx(ada::text), "Tab in a list inserts no tab");
        assertEquals("2.", fx(() -> ((javafx.scene.control.Label) ada.window.area.getParagraphGraphic(3)).getText()),
                "\"three\" is the second item of its level");
        eventually("Bob sees heading, list and indent", () -> paragraphClasses(bob, 0).contains("h1")
                && paragraphClasses(bob, 1).contains("numbered") && paragraphClasses(bob, 2).contains("indent-1"));
        robot.press(KeyCode.SHIFT).type(KeyCode.TAB).release(KeyCode.SHIFT);
        eventually("Shift+Tab outdents", () -> !paragraphClasses(ada, 2).contains("indent-1"));
        allSent(ada);
        close(ada);
        fx(() -> {
            bob.setOffline(true);
            return null;
        });
        RoomSession again = openRoom("Ada", "blocks", data);
        assertTrue(paragraphClasses(again, 0).contains("h1"), "the heading is in the offline copy");
        assertTrue(paragraphClasses(again, 3).contains("numbered"), "and the list");
        fx(() -> {
            bob.setOffline(false);
            return null;
        });
        eventually("Bob reconnects and still has them", () -> bob.window.status.connectionProperty().get() == StatusViewModel.Connection.CONNECTED
                && paragraphClasses(bob, 0).contains("h1") && paragraphClasses(bob, 3).contains("numbered"));
    }

    @Test
    void markdownShortcuts_formatAsYouType_andOneUndoBringsBackTheTypedText() throws Exception {
        RoomSession ada = openRoom("Ada", "markdown");
        focus(ada);
        robot.write("# ");
        eventually("\"# \" makes a heading", () -> ada.text().isEmpty() && paragraphClasses(ada, 0).contains("h1"));
        shortcut(ada, KeyCode.Z);
        eventually("undo gives back the typed \"# \"", () -> ada.text().equals("# ") && paragraphClasses(ada, 0).isEmpty());
        fx(() -> {
            ada.window.area.replaceText("");
            return null;
        });
        focus(ada);
        robot.write("a **strong** and `x()`");
        typed(ada, "a strong and x()");
        assertTrue(classesAt(ada, 2).contains("bold") && classesAt(ada, 7).contains("bold"));
        assertTrue(classesAt(ada, 13).contains("code") && classesAt(ada, 15).contains("code"));
        assertFalse(classesAt(ada, 1).contains("bold"));
        shortcut(ada, KeyCode.Z);
        eventually("undo gives back the backticks", () -> ada.text().equals("a strong and `x()`"));
        for (String list : List.of("- ", "* ", "1. ", "> ")) {
            fx(() -> {
                ada.window.area.replaceText("");
                ada.window.binding.clearFormatting();
                return null;
            });
            focus(ada);
            robot.write(list);
            String want = list.equals("> ") ? "quote" : list.equals("1. ") ? "numbered" : "bullet";
            eventually("\"" + list + "\" makes " + want, () -> ada.text().isEmpty() && paragraphClasses(ada, 0).contains(want));
        }
    }

    /**
     * On a busy machine the next keys arrive before the shortcut's turn on the FX thread (found
     * by hand: "- a bullet" stayed text). Here every key of a line is handled in one FX turn.
     */
    @Test
    void markdownShortcuts_applyWhenMoreKeysArriveFirst() throws Exception {
        RoomSession ada = openRoom("Ada", "markdown-busy");
        focus(ada);
        java.util.function.Consumer<String> typeAtOnce = text -> {
            try {
                fx(() -> {
                    for (char ch : text.toCharArray()) {
                        javafx.event.Event.fireEvent(ada.window.area, new javafx.scene.input.KeyEvent(javafx.scene.input.KeyEvent.KEY_TYPED,
                                String.valueOf(ch), "", KeyCode.UNDEFINED, false, false, false, false));
                    }
                    return null;
                });
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        };
        typeAtOnce.accept("- first item");
        eventually("\"- \" made a bullet though more keys came first", () -> ada.text().equals("first item") && paragraphClasses(ada, 0).contains("bullet"));
        assertEquals(ada.text().length(), (int) fx(() -> ada.window.area.getCaretPosition()), "the caret stays after what was typed");
        fx(() -> {
            ada.window.area.replaceText("");
            ada.window.binding.clearFormatting();
            return null;
        });
        typeAtOnce.accept("a **b** c");
        eventually("**b** made bold though more keys came first", () -> ada.text().equals("a b c"));
        assertTrue(classesAt(ada, 2).contains("bold"));
        assertFalse(classesAt(ada, 4).contains("bold"), "what was typed after the closing ** is not bold");
        assertEquals(ada.text().length(), (int) fx(() -> ada.window.area.getCaretPosition()));
    }

    /** What a newcomer types in the first minute: a heading, a line with bold, a list. */
    @Test
    void enterAfterAHeadingStartsNormalText_aListGoesOn_andTypingAfterMarkdownBoldIsPlain() throws Exception {
        RoomSession ada = openRoom("Ada", "newcomer");
        focus(ada);
        robot.write("# ");
        eventually("\"# \" makes a heading", () -> ada.text().isEmpty());
        robot.write("Weekly plan");
        robot.type(KeyCode.ENTER);
        robot.write("Buy **milk**");
        eventually("**milk** turns bold", () -> ada.text().endsWith("Buy milk"));
        robot.write(" and more");
        robot.type(KeyCode.ENTER);
        robot.write("- ");
        eventually("\"- \" makes a list item", () -> ada.text().endsWith("more\n"));
        robot.write("first");
        robot.type(KeyCode.ENTER);
        robot.write("second");
        typed(ada, "Weekly plan\nBuy milk and more\nfirst\nsecond");
        dev.tandem.crdt.Doc doc = fx(() -> ada.window.binding.doc());
        assertEquals(java.util.Map.of(Formats.BLOCK, "h1"), fx(() -> doc.paragraph(0)), "the heading stays on its own line");
        assertEquals(java.util.Map.of(), fx(() -> doc.paragraph(12)), "the line after a heading is normal text");
        assertEquals(java.util.Map.of(Formats.BLOCK, "bullet"), fx(() -> doc.paragraph(30)));
        assertEquals(java.util.Map.of(Formats.BLOCK, "bullet"), fx(() -> doc.paragraph(36)), "Enter in a list makes the next item");
        assertEquals(List.of(new dev.tandem.crdt.Doc.TextRun("Buy ", java.util.Map.of()),
                        new dev.tandem.crdt.Doc.TextRun("milk", java.util.Map.of(Formats.BOLD, "true")),
                        new dev.tandem.crdt.Doc.TextRun(" and more", java.util.Map.of())),
                fx(() -> doc.runs(12, 29)), "what is typed after **milk** is not bold");
        assertTrue(paragraphClasses(ada, 0).contains("h1"));
        assertFalse(paragraphClasses(ada, 1).contains("h1"));
    }

    @Test
    void clearFormatting_andLinks() throws Exception {
        RoomSession ada = openRoom("Ada", "clear");
        fx(() -> {
            ada.window.area.replaceText("plain words here");
            ada.window.area.selectRange(0, 11);
            ada.window.commands.run("bold");
            ada.window.commands.run("italic");
            ada.window.binding.mark(6, 11, Formats.LINK, "https://example.org/");
            return null;
        });
        assertTrue(classesAt(ada, 7).containsAll(List.of("bold", "italic", "link")));
        select(ada, 0, 16);
        focus(ada);
        robot.press(KeyCode.CONTROL).type(KeyCode.BACK_SLASH).release(KeyCode.CONTROL);
        eventually("Ctrl+\\ clears every mark", () -> classesAt(ada, 7).isEmpty() && classesAt(ada, 0).isEmpty());
        assertTrue(EditorCommands.isSafeLink("https://example.org/a?b=c"));
        assertTrue(EditorCommands.isSafeLink("mailto:ada@example.org"));
        for (String hostile : List.of("file:///etc/passwd", "javascript:alert(1)", "tandem://x", "https:///nohost", "not a url", "")) {
            assertFalse(EditorCommands.isSafeLink(hostile), hostile);
        }
    }

    // ---- find and replace

    @Test
    void find_countsAndHighlightsMatches_whileRemoteTextArrives() throws Exception {
        RoomSession ada = openRoom("Ada", "find");
        SyncClient bob = headlessPeer("find");
        fx(() -> {
            ada.window.area.replaceText("cat dog cat bird CAT category");
            ada.window.area.moveTo(0);
            return null;
        });
        shortcut(ada, KeyCode.F);
        eventually("the find bar is open and focused", () -> ada.window.find.isVisible() && ada.window.find.query.isFocused());
        robot.write("cat");
        eventually("four matches, ignoring case", () -> ada.window.find.countText().equals("1 of 4"));
        assertTrue(classesAt(ada, 0).contains(TextStyles.MATCH) && classesAt(ada, 0).contains(TextStyles.CURRENT_MATCH));
        assertTrue(classesAt(ada, 17).contains(TextStyles.MATCH), "CAT");
        assertFalse(classesAt(ada, 4).contains(TextStyles.MATCH), "dog");
        fx(() -> {
            ada.window.find.matchCase.setSelected(true);
            return null;
        });
        eventually("case: three", () -> ada.window.find.countText().endsWith("of 3") && !classesAt(ada, 17).contains(TextStyles.MATCH));
        fx(() -> {
            ada.window.find.wholeWord.setSelected(true);
            return null;
        });
        eventually("whole words: two", () -> ada.window.find.countText().equals("1 of 2") && !classesAt(ada, 21).contains(TextStyles.MATCH));
        robot.type(KeyCode.ENTER);
        eventually("Enter goes to the next", () -> ada.window.find.countText().equals("2 of 2") && ada.window.area.getSelection().getStart() == 8);
        robot.press(KeyCode.SHIFT).type(KeyCode.ENTER).release(KeyCode.SHIFT);
        eventually("Shift+Enter goes back", () -> ada.window.find.countText().equals("1 of 2") && ada.window.area.getSelection().getStart() == 0);
        // Someone else types: the count and the highlights follow.
        eventually("Bob has the text", () -> bob.text().get().equals("cat dog cat bird CAT category"));
        bob.edit(d -> d.insert(8, "cat and ")).get();
        eventually("a third match appears", () -> ada.window.find.countText().endsWith("of 3"));
        assertTrue(classesAt(ada, 8).contains(TextStyles.MATCH) && classesAt(ada, 16).contains(TextStyles.MATCH));
        assertFalse(classesAt(ada, 12).contains(TextStyles.MATCH), "\"and\" is not highlighted");
        bob.edit(d -> d.delete(0, 4)).get();
        eventually("the first goes", () -> ada.window.find.countText().endsWith("of 2"));
        assertFalse(classesAt(ada, 0).contains(TextStyles.MATCH), "no highlight left where the match was");
        assertTrue(classesAt(ada, 4).contains(TextStyles.MATCH) && classesAt(ada, 12).contains(TextStyles.MATCH));
        robot.type(KeyCode.ESCAPE);
        eventually("Esc closes and clears the highlights", () -> !ada.window.find.isVisible() && !classesAt(ada, 4).contains(TextStyles.MATCH));
    }

    @Test
    void replaceAll_isOneUndoStep_andReachesTheOthers() throws Exception {
        RoomSession ada = openRoom("Ada", "replace");
        SyncClient bob = headlessPeer("replace");
        fx(() -> {
            ada.window.area.replaceText("one fish two fish red fish");
            ada.window.binding.closeStep();
            ada.window.area.moveTo(0);
            return null;
        });
        shortcut(ada, KeyCode.H);
        eventually("the replace row is open", () -> ada.window.find.replacement.isVisible());
        robot.write("fish");
        eventually("three", () -> ada.window.find.countText().equals("1 of 3"));
        robot.clickOn(ada.window.find.replacement).write("cat");
        robot.type(KeyCode.ENTER); // Enter in the replace field: replaces the current match (selecting it first)
        robot.type(KeyCode.ENTER);
        typed(ada, "one cat two fish red fish");
        robot.clickOn(ada.window.stage.getScene().lookup("#replace-all"));
        typed(ada, "one cat two cat red cat");
        eventually("Bob has it", () -> bob.text().get().equals("one cat two cat red cat"));
        shortcut(ada, KeyCode.Z);
        typed(ada, "one cat two fish red fish"); // replace all was one step
        shortcut(ada, KeyCode.Z);
        typed(ada, "one fish two fish red fish");
        eventually("Bob has the undo", () -> bob.text().get().equals("one fish two fish red fish"));
    }

    // ---- clipboard and counts

    private static void putOnClipboard(String plain, String html) throws Exception {
        fx(() -> {
            javafx.scene.input.ClipboardContent c = new javafx.scene.input.ClipboardContent();
            if (plain != null) c.putString(plain);
            if (html != null) c.putHtml(html);
            javafx.scene.input.Clipboard.getSystemClipboard().setContent(c);
            return null;
        });
    }

    @Test
    void copyAndPaste_keepFormattingInsideTandem_andGivePlainTextAndHtmlOut() throws Exception {
        RoomSession ada = openRoom("Ada", "clipboard");
        RoomSession bob = openRoom("Bob", "clipboard");
        fx(() -> {
            ada.window.area.replaceText("Title\nbold and plain");
            ada.window.area.selectRange(6, 10);
            ada.window.commands.run("bold");
            ada.window.area.selectRange(0, 0);
            ada.window.commands.run("h1");
            ada.window.area.selectRange(0, ada.window.area.getLength());
            return null;
        });
        shortcut(ada, KeyCode.C);
        String html = fx(() -> javafx.scene.input.Clipboard.getSystemClipboard().getHtml());
        assertEquals("Title\nbold and plain", fx(() -> javafx.scene.input.Clipboard.getSystemClipboard().getString()), "plain text out");
        assertTrue(html.contains("<h1>Title</h1>") && html.contains("<strong>bold</strong>"), html);
        fx(() -> {
            ada.window.area.moveTo(ada.window.area.getLength());
            return null;
        });
        focus(ada);
        robot.type(KeyCode.ENTER);
        shortcut(ada, KeyCode.V);
        typed(ada, "Title\nbold and plain\nTitle\nbold and plain");
        eventually("the pasted copy is formatted", () -> paragraphClasses(ada, 2).contains("h1") && classesAt(ada, 27).contains("bold")
                && !classesAt(ada, 32).contains("bold"));
        eventually("for Bob too", () -> paragraphClasses(bob, 2).contains("h1") && classesAt(bob, 27).contains("bold"));
        shortcut(ada, KeyCode.Z);
        typed(ada, "Title\nbold and plain\n"); // the paste was one undo step
    }

    @Test
    void pastedHtmlFromElsewhere_isMappedToTandemsMarks_andHostilePartsAreDropped() throws Exception {
        RoomSession ada = openRoom("Ada", "paste-html");
        putOnClipboard("fallback", "<html><head><style>p{}</style><script>evil()</script></head><body>"
                + "<p>Hello <b>world</b> <a href=\"javascript:alert(1)\">bad</a> <a href=\"https://ok.example/\">ok</a>"
                + "<img src=\"http://tracker.example/x.png\"><span style=\"font-style: italic\">it</span></p>"
                + "<ul><li>one</li><li>two</li></ul><script>more()</script></body></html>");
        focus(ada);
        shortcut(ada, KeyCode.V);
        typed(ada, "Hello world bad okit\none\ntwo");
        assertTrue(classesAt(ada, 6).contains("bold"));
        assertFalse(classesAt(ada, 12).contains("link"), "no javascript: link");
        assertTrue(classesAt(ada, 16).contains("link"));
        assertEquals("https://ok.example/", fx(() -> ada.window.binding.doc().runs(16, 17).get(0).marks().get(Formats.LINK)));
        assertTrue(classesAt(ada, 18).contains("italic"));
        assertTrue(paragraphClasses(ada, 1).contains("bullet") && paragraphClasses(ada, 2).contains("bullet"));
        assertFalse(paragraphClasses(ada, 0).contains("bullet"));
        // Too much HTML to parse: the plain text beside it is pasted.
        putOnClipboard("just text", "<p>" + "x".repeat(RichClipboard.MAX_HTML) + "</p>");
        fx(() -> {
            ada.window.area.replaceText("");
            return null;
        });
        focus(ada);
        shortcut(ada, KeyCode.V);
        typed(ada, "just text");
    }

    @Test
    void statusBar_countsWords_andTheSelection() throws Exception {
        RoomSession ada = openRoom("Ada", "words");
        focus(ada);
        robot.write("one two three");
        eventually("three words", () -> ada.window.status.wordsTextProperty().get().equals("3 words"));
        select(ada, 4, 7);
        eventually("and the selection", () -> ada.window.status.wordsTextProperty().get().equals("1 of 3 words, 3 characters selected"));
        assertEquals(5, StatusViewModel.countWords("it's a well-known fact, 42 "));
        assertEquals(0, StatusViewModel.countWords(" \n-- "));
    }

    @Test
    void ctrlK_setsALink_andCtrlClickOpensOnlySafeLinks() throws Exception {
        List<String> opened = new java.util.concurrent.CopyOnWriteArrayList<>();
        RoomSession ada = rooms.open("Ada", "#1f77b4", rooms.server, "links", dir.resolve("ada"), 760, 420,
                new UiTesting.NoActions() {
                    @Override public void openLink(String url) {
                        opened.add(url);
                    }
                });
        fx(() -> {
            ada.window.area.replaceText("see the site or this one");
            ada.window.area.selectRange(8, 12);
            return null;
        });
        shortcut(ada, KeyCode.K);
        eventually("the link dialog is open", () -> javafx.stage.Window.getWindows().stream()
                .anyMatch(w -> w.isShowing() && w.getScene() != null && w.getScene().lookup("#link-field") != null));
        javafx.scene.Node field = fx(() -> javafx.stage.Window.getWindows().stream()
                .filter(w -> w.isShowing() && w.getScene() != null && w.getScene().lookup("#link-field") != null)
                .findFirst().orElseThrow().getScene().lookup("#link-field"));
        robot.targetWindow(field.getScene().getWindow());
        robot.clickOn(field).push(KeyCode.CONTROL, KeyCode.A).write("https://tandem.example/docs");
        eventually("typed into the dialog", () -> ((javafx.scene.control.TextField) field).getText().equals("https://tandem.example/docs"));
        robot.type(KeyCode.ENTER);
        eventually("\"site\" is a link", () -> "https://tandem.example/docs".equals(ada.window.binding.doc().runs(8, 12).get(0).marks().get(Formats.LINK)));
        assertTrue(classesAt(ada, 9).contains("link"));
        // A link someone else set to a script: shown, never opened.
        fx(() -> {
            ada.window.binding.mark(20, 24, Formats.LINK, "javascript:alert(1)");
            return null;
        });
        for (int[] link : new int[][] {{9, 10}, {21, 22}}) {
            javafx.geometry.Bounds b = fx(() -> ada.window.area.getCharacterBoundsOnScreen(link[0], link[1]).orElseThrow());
            robot.press(KeyCode.CONTROL).clickOn(new javafx.geometry.Point2D(b.getCenterX(), b.getCenterY())).release(KeyCode.CONTROL);
        }
        eventually("the safe link opens", () -> opened.contains("https://tandem.example/docs"));
        org.testfx.util.WaitForAsyncUtils.waitForFxEvents();
        assertEquals(List.of("https://tandem.example/docs"), opened, "the javascript: link is not opened");
    }

    @Test
    void aParagraphStyleSetAwayFromTheCaret_showsAtOnce() throws Exception {
        RoomSession ada = openRoom("Ada", "away");
        fx(() -> {
            ada.window.area.replaceText("one\ntwo\nthree");
            ada.window.area.moveTo(ada.window.area.getLength());
            ada.window.binding.setParagraph(4, Formats.BLOCK, "bullet");
            return null;
        });
        assertTrue(paragraphClasses(ada, 1).contains("bullet"), "the paragraph set, not the caret's, is restyled");
        assertTrue(paragraphClasses(ada, 2).isEmpty());
    }
}
