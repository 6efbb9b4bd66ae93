package dev.tandem.client;

import dev.tandem.crdt.Doc;
import dev.tandem.sync.SyncClient;
import javafx.scene.input.KeyCode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.tandem.client.UiTesting.WAIT_SECONDS;
import static dev.tandem.client.UiTesting.eventually;
import static dev.tandem.client.UiTesting.fx;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The history panel against a real in-process hub, in real (headless) windows: past versions
 * with their changes marked, restore on both clients as one undo step, named versions seen by
 * the others, authors tinted, entries grouped by person.
 *
 * <p>Edit times are whole seconds (crdt/FORMAT.md), so edits meant for different entries are made
 * more than a second apart.
 */
class HistoryUiTest {
    private static final String ADA = "#1f77b4";
    private static final String BOB = "#d62728";
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

    /** A window of this test's size, once it has synced with the hub. */
    private RoomSession openRoom(String name, String color, String room) throws Exception {
        RoomSession s = rooms.open(name, color, rooms.server, room, dir.resolve(name), 900, 400);
        s.sync().synced().get(WAIT_SECONDS, TimeUnit.SECONDS);
        return s;
    }

    /** Edits {@code s}'s editor as typing would (through the area), and waits until the hub has it. */
    private static void edit(RoomSession s, int from, int to, String text) throws Exception {
        fx(() -> {
            s.window.area.replaceText(from, to, text);
            return null;
        });
        fx(() -> s.sync().flush()).get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    private static void sees(RoomSession s, String text) throws Exception {
        try {
            eventually("the window shows \"" + text + "\"", () -> s.window.area.getText().equals(text) && s.text().equals(text));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; it shows \"" + fx(() -> s.window.area.getText()) + "\"", e);
        }
    }

    /** Past the second the last edit was stamped with. */
    private static void nextSecond() throws InterruptedException {
        Thread.sleep(1100);
    }

    private static Collection<String> styleAt(org.fxmisc.richtext.StyleClassedTextArea area, String text, String of) {
        int i = area.getText().indexOf(of);
        assertTrue(i >= 0, "\"" + of + "\" in \"" + area.getText() + "\"");
        return area.getStyleOfChar(i + 1);
    }

    /** Ada writes "one two"; a second later Bob turns "two" into "three". */
    private RoomSession[] adaThenBob(String room) throws Exception {
        RoomSession ada = openRoom("Ada", ADA, room);
        RoomSession bob = openRoom("Bob", BOB, room);
        edit(ada, 0, 0, "one two");
        sees(bob, "one two");
        nextSecond();
        edit(bob, 4, 7, "three");
        sees(ada, "one three");
        return new RoomSession[] {ada, bob};
    }

    /** Opens {@code s}'s history panel and steps down to its second entry (in adaThenBob's rooms, Ada's "one two"). */
    private static void showOlderEntry(RoomSession s) throws Exception {
        fx(() -> {
            s.window.history.setOpen(true);
            s.window.history.step(1);
            s.window.history.step(1);
            return null;
        });
    }

    /** Found in the screenshot: the read-only view drew list items without their bullets and numbers. */
    @Test
    void aPastVersionShowsListBulletsAndNumbers() throws Exception {
        RoomSession ada = openRoom("Ada", ADA, "past-lists");
        edit(ada, 0, 0, "tea\nmilk\nfirst\nsecond");
        fx(() -> {
            ada.window.binding.setParagraph(0, dev.tandem.crdt.Formats.BLOCK, "bullet");
            ada.window.binding.setParagraph(4, dev.tandem.crdt.Formats.BLOCK, "bullet");
            ada.window.binding.setParagraph(9, dev.tandem.crdt.Formats.BLOCK, "numbered");
            ada.window.binding.setParagraph(15, dev.tandem.crdt.Formats.BLOCK, "numbered");
            return null;
        });
        fx(() -> ada.sync().flush()).get(WAIT_SECONDS, TimeUnit.SECONDS);
        fx(() -> {
            ada.window.history.setOpen(true);
            ada.window.history.step(1);
            return null;
        });
        var viewer = ada.window.history.viewer;
        eventually("the past version is shown", () -> viewer.getText().equals("tea\nmilk\nfirst\nsecond") && viewer.getScene() != null);
        java.util.List<String> markers = fx(() -> {
            java.util.List<String> out = new java.util.ArrayList<>();
            for (int p = 0; p < viewer.getParagraphs().size(); p++) {
                javafx.scene.Node n = viewer.getParagraphGraphicFactory().apply(p);
                out.add(n instanceof javafx.scene.control.Label l ? l.getText() : "");
            }
            return out;
        });
        assertEquals(java.util.List.of("\u2022", "\u2022", "1.", "2."), markers);
    }

    @Test
    void historyShowsAnEarlierVersionWithItsChangesMarked() throws Exception {
        RoomSession[] s = adaThenBob("past");
        RoomSession ada = s[0];
        fx(() -> {
            ada.window.stage.toFront();
            return null;
        });
        robot.clickOn(ada.window.area).press(KeyCode.CONTROL, KeyCode.ALT, KeyCode.H).release(KeyCode.H, KeyCode.ALT, KeyCode.CONTROL);
        eventually("Ctrl+Alt+H opens the panel with Bob's and Ada's entries, newest first", () -> ada.window.history.node.isVisible()
                && ada.window.history.list.getItems().size() == 2
                && ada.window.history.list.getItems().get(0).name().equals("Bob")
                && ada.window.history.list.getItems().get(1).name().equals("Ada"));
        HistoryViewModel.Entry bobs = fx(() -> ada.window.history.list.getItems().get(0));
        assertEquals(5, bobs.inserted());
        assertEquals(3, bobs.deleted());
        assertEquals(BOB, bobs.color(), "Bob's colour, from presence");

        // Ada's entry (the older one, Down from the newest): the text as it was, live editor replaced.
        fx(() -> {
            ada.window.history.step(1);
            ada.window.history.step(1);
            return null;
        });
        var viewer = ada.window.history.viewer;
        eventually("the older entry shows the text then", () -> viewer.getText().equals("one two") && viewer.getScene() != null
                && ada.window.area.getScene() == null);
        assertFalse(fx(viewer::isEditable), "a past version is read-only");
        assertTrue(fx(() -> ada.window.commands.toolbar.isDisabled()), "no formatting while the past is shown");
        assertTrue(fx(() -> styleAt(viewer, viewer.getText(), "two")).contains(Tints.classFor(ADA)), "Ada's text, tinted in her colour");

        // Bob keeps typing meanwhile: the list follows, and the past version stays on screen
        // (not even a moment of the live editor while the list is replaced).
        java.util.concurrent.atomic.AtomicInteger backToLive = new java.util.concurrent.atomic.AtomicInteger();
        fx(() -> {
            ada.window.history.viewingProperty().addListener((obs, was, now) -> {
                if (!now) backToLive.incrementAndGet();
            });
            return null;
        });
        edit(s[1], 9, 9, "!");
        eventually("the list shows Bob's longer session", () -> ada.window.history.list.getItems().get(0).inserted() == 6);
        assertEquals(0, backToLive.get(), "the past version stayed shown");
        assertEquals("one two", fx(viewer::getText));
        assertEquals(1, fx(() -> ada.window.history.list.getSelectionModel().getSelectedIndex()), "still Ada's entry");
        edit(s[1], 9, 10, "");

        // Up: Bob's entry, his insertion tinted in his colour and Ada's "two" struck through in place.
        fx(() -> {
            ada.window.history.step(-1);
            return null;
        });
        eventually("the newer entry shows Bob's change", () -> viewer.getText().contains("three") && viewer.getText().contains("two"));
        assertEquals("one ", fx(() -> viewer.getText().substring(0, 4)));
        assertTrue(fx(() -> styleAt(viewer, viewer.getText(), "three")).contains(Tints.classFor(BOB)), "inserted: Bob's colour");
        assertTrue(fx(() -> styleAt(viewer, viewer.getText(), "two")).contains(HistoryViewModel.DELETED), "deleted: struck through");
        eventually("the deleted text is drawn struck through", () -> {
            viewer.applyCss();
            return viewer.lookupAll("." + HistoryViewModel.DELETED).stream()
                    .anyMatch(n -> n instanceof javafx.scene.text.Text t && t.isStrikethrough());
        });
        assertFalse(fx(() -> styleAt(viewer, viewer.getText(), "one")).contains(Tints.classFor(ADA)), "unchanged since: no tint");

        // Closing the panel brings the live editor back.
        fx(() -> {
            ada.window.history.setOpen(false);
            return null;
        });
        eventually("the live editor is back", () -> ada.window.area.getScene() != null && viewer.getScene() == null);
        assertFalse(fx(() -> ada.window.commands.toolbar.isDisabled()), "formatting is back");
        assertEquals("one three", fx(() -> ada.window.area.getText()));
    }

    @Test
    void restoreBringsTheVersionBackOnBothClientsAsOneUndoStep() throws Exception {
        RoomSession[] s = adaThenBob("restore");
        RoomSession ada = s[0];
        RoomSession bob = s[1];
        showOlderEntry(ada);
        eventually("Ada's version is shown", () -> ada.window.history.viewer.getText().equals("one two"));
        fx(() -> {
            ada.window.stage.toFront();
            return null;
        });
        robot.clickOn(ada.window.history.restore);
        sees(ada, "one two");
        sees(bob, "one two");
        assertFalse(fx(() -> ada.window.history.viewingProperty().get()), "back to the live editor");
        // One step: a single Ctrl+Z takes the whole restore back, everywhere.
        robot.clickOn(ada.window.area).press(KeyCode.CONTROL, KeyCode.Z).release(KeyCode.Z, KeyCode.CONTROL);
        sees(ada, "one three");
        sees(bob, "one three");
    }

    @Test
    void aViewOnlyWindowCannotRestore() throws Exception {
        RoomSession[] s = adaThenBob("viewer");
        RoomSession bob = s[1];
        fx(() -> {
            bob.window.setViewOnly(true);
            return null;
        });
        showOlderEntry(bob);
        eventually("a past version is shown", () -> bob.window.history.viewer.getText().equals("one two"));
        assertTrue(fx(() -> bob.window.history.restore.isDisabled()), "restore is off");
        assertTrue(fx(() -> bob.window.history.name.isDisabled()), "naming is off");
        fx(() -> {
            bob.window.history.restoreShown(); // even when asked directly
            return null;
        });
        Thread.sleep(300);
        assertEquals("one three", fx(() -> bob.window.area.getText()));
    }

    @Test
    void aNamedVersionIsSeenByTheOtherClient() throws Exception {
        RoomSession[] s = adaThenBob("named");
        RoomSession ada = s[0];
        RoomSession bob = s[1];
        showOlderEntry(ada);
        fx(() -> {
            bob.window.history.setOpen(true);
            return null;
        });
        eventually("naming is offered (the hub keeps named versions)", () -> !ada.window.history.name.isDisabled());
        assertNull(fx(() -> ada.window.history.nameVersion("First draft")));
        eventually("Bob's panel lists the named version", () -> bob.window.history.list.getItems().stream()
                .anyMatch(e -> e.named() && e.label().equals("First draft") && e.name().equals("Ada")));
        HistoryViewModel.Entry named = fx(() -> bob.window.history.list.getItems().stream().filter(HistoryViewModel.Entry::named).findFirst().get());
        fx(() -> {
            bob.window.history.list.getSelectionModel().select(named);
            return null;
        });
        eventually("selecting it shows the text it names", () -> bob.window.history.viewer.getText().equals("one two"));
        // Refused before anything is sent: a name with a line break.
        assertNotNull(fx(() -> ada.window.history.nameVersion("two\nlines")));
    }

    @Test
    void showAuthorsTintsEachPersonsTextInTheirColour() throws Exception {
        RoomSession[] s = adaThenBob("authors");
        RoomSession ada = s[0];
        fx(() -> {
            ada.window.stage.toFront();
            return null;
        });
        fx(() -> {
            ada.window.history.setOpen(true);
            return null;
        });
        robot.clickOn(ada.window.history.showAuthors);
        var area = ada.window.area;
        eventually("Ada's and Bob's text tinted differently", () -> styleAt(area, area.getText(), "one").contains(Tints.classFor(ADA))
                && styleAt(area, area.getText(), "three").contains(Tints.classFor(BOB)));
        assertFalse(fx(() -> styleAt(area, area.getText(), "three")).contains(Tints.classFor(ADA)));
        // The generated stylesheet is really applied: Bob's text is drawn on a light red.
        eventually("Bob's text has his colour behind it", () -> {
            area.applyCss();
            return area.lookupAll("." + Tints.classFor(BOB)).stream()
                    .anyMatch(n -> n instanceof org.fxmisc.richtext.TextExt t
                            && javafx.scene.paint.Color.rgb(0xd6, 0x27, 0x28, 0.28).equals(t.getBackgroundColor()));
        });
        List<String> legend = fx(() -> ada.window.history.legend.getChildren().stream()
                .map(n -> ((javafx.scene.control.Label) n).getText()).toList());
        assertEquals(List.of("Written by:", "Ada", "Bob"), legend);
        assertTrue(fx(() -> ada.window.history.legend.isVisible()));
        // Text typed while authors are shown is tinted too, once the tints follow (a moment later).
        edit(ada, 0, 0, "Zero ");
        eventually("new text is tinted as Ada's", () -> styleAt(area, area.getText(), "Zero").contains(Tints.classFor(ADA)));
        robot.clickOn(ada.window.history.showAuthors);
        eventually("the tints are gone", () -> !styleAt(area, area.getText(), "three").contains(Tints.classFor(BOB))
                && !ada.window.history.legend.isVisible());
    }

    @Test
    void entriesAreGroupedByPerson() throws Exception {
        RoomSession bob = openRoom("Bob", BOB, "grouped");
        edit(bob, 0, 0, "Bob first. ");
        nextSecond();
        RoomSession ada = openRoom("Ada", ADA, "grouped");
        sees(ada, "Bob first. ");
        edit(ada, ada.text().length(), ada.text().length(), "Ada in her window. ");
        nextSecond();
        // Ada again, from another replica (a second device): the same person, one entry.
        SyncClient adaElsewhere = rooms.headlessPeer("grouped", "Ada", ADA);
        adaElsewhere.edit(d -> d.insert(d.length(), "Ada on her phone.")).get(WAIT_SECONDS, TimeUnit.SECONDS);
        adaElsewhere.flush().get(WAIT_SECONDS, TimeUnit.SECONDS);
        sees(ada, "Bob first. Ada in her window. Ada on her phone.");
        fx(() -> {
            ada.window.history.setOpen(true);
            return null;
        });
        eventually("two entries: Ada's (both replicas) and Bob's", () -> {
            ada.window.history.refresh();
            List<HistoryViewModel.Entry> e = ada.window.history.list.getItems();
            return e.size() == 2 && e.get(0).name().equals("Ada") && e.get(1).name().equals("Bob");
        });
        HistoryViewModel.Entry adas = fx(() -> ada.window.history.list.getItems().get(0));
        assertEquals("Ada in her window. Ada on her phone.".length(), adas.inserted(), "both of Ada's replicas' edits");
    }

    /**
     * Restore on random histories (two replicas, insertions, deletions, marks, paragraph styles):
     * the text, its marks and its paragraphs become exactly those of the version, the edits sent
     * make another replica the same, and one undo brings back what was there.
     */
    @Test
    void restoreReproducesAnyPastVersionExactly() throws Exception {
        java.util.Random random = new java.util.Random(12);
        for (int round = 0; round < 20; round++) {
            Doc other = new Doc(0xbb00 + round);
            Doc mine = new Doc(0xaa00 + round);
            List<dev.tandem.crdt.Version> versions = new ArrayList<>();
            for (int step = 0; step < 30; step++) {
                Doc who = random.nextBoolean() ? mine : other;
                Doc peer = who == mine ? other : mine;
                int len = who.length();
                int kind = random.nextInt(10);
                dev.tandem.crdt.Update u;
                if (len < 5 || kind < 5) {
                    u = who.insert(random.nextInt(len + 1), random.nextInt(4) == 0 ? "new line\n" : "w" + step + " ");
                } else if (kind < 8) {
                    int from = random.nextInt(len - 1);
                    u = who.delete(from, 1 + random.nextInt(Math.min(6, len - from)));
                } else if (kind < 9) {
                    int from = random.nextInt(len - 1);
                    u = who.mark(from, from + 1 + random.nextInt(Math.min(5, len - from)), random.nextBoolean() ? "bold" : "italic", "true");
                } else {
                    u = who.setParagraph(random.nextInt(len), "block", random.nextBoolean() ? "h1" : "bullet");
                }
                peer.apply(u);
                versions.add(mine.version());
            }
            dev.tandem.crdt.Version target = versions.get(random.nextInt(versions.size()));
            String before = mine.text();
            Doc mirror = Doc.decode(mine.encode());
            List<dev.tandem.crdt.Update> sent = new ArrayList<>();
            final int r = round;
            fx(() -> {
                org.fxmisc.richtext.StyleClassedTextArea area = new org.fxmisc.richtext.StyleClassedTextArea();
                EditorBinding binding = new EditorBinding(area, mine, sent::add);
                binding.restore(target);
                assertEquals(mine.textAt(target), mine.text(), "round " + r + ": the text of the version");
                assertEquals(mine.text(), area.getText().replace(EditorBinding.CR_GLYPH, '\r'), "round " + r + ": the editor shows it");
                assertEquals(mine.runsAt(target), mine.runs(0, mine.length()), "round " + r + ": its marks");
                assertEquals(mine.paragraphsAt(target), mine.paragraphsAt(mine.version()), "round " + r + ": its paragraphs");
                for (dev.tandem.crdt.Update u : sent) mirror.apply(u);
                assertEquals(mine.text(), mirror.text(), "round " + r + ": what was sent makes another replica the same");
                if (!sent.isEmpty()) {
                    assertTrue(binding.undo(), "round " + r + ": one undo step");
                    assertEquals(before, mine.text(), "round " + r + ": undone");
                }
                binding.dispose();
                return null;
            });
        }
    }
}
