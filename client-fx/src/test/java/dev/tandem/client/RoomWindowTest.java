package dev.tandem.client;

import dev.tandem.crdt.Anchor;
import dev.tandem.crdt.Bias;
import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Update;
import javafx.geometry.Bounds;
import javafx.scene.Node;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.input.Clipboard;
import javafx.scene.paint.Color;
import javafx.scene.shape.Circle;
import javafx.scene.text.Text;
import javafx.stage.Stage;
import javafx.util.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.tandem.client.UiTesting.eventually;
import static dev.tandem.client.UiTesting.fx;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A real room window (headless Monocle), no network: peers are fed through the same two calls a
 * session makes for what the hub reports ({@code presence.update}, {@code cursors.update}), and
 * typing comes from real key events. What a user sees is read from the scene: label positions
 * against where carets are drawn, the text a status item really displays, the clipboard.
 */
@ExtendWith(ApplicationExtension.class)
class RoomWindowTest {
    private static final RoomAddress ADDRESS = new RoomAddress(URI.create("ws://127.0.0.1:7070"), "quarterly planning notes");

    private Stage stage;
    private RoomWindow window;
    private Doc doc;                                                  // the UI replica: FX thread
    private final List<Update> sent = new ArrayList<>();              // FX thread
    private final List<Throwable> fxErrors = new CopyOnWriteArrayList<>();
    private Thread.UncaughtExceptionHandler previousHandler;

    @Start
    void start(Stage stage) {
        this.stage = stage;
        // Exceptions in a pulse (a list cell painting a swatch, say) do not reach the test otherwise.
        previousHandler = Thread.currentThread().getUncaughtExceptionHandler();
        Thread.currentThread().setUncaughtExceptionHandler((t, e) -> fxErrors.add(e));
        doc = new Doc();
        window = new RoomWindow(stage, ADDRESS, doc, sent::add, new UiTesting.NoActions());
        // What these tests check must not depend on how fast they run: labels stay until told otherwise.
        window.cursors.setLabelDuration(Duration.hours(1));
        stage.setWidth(800);
        stage.setHeight(500);
        stage.show();
    }

    @AfterEach
    void restoreHandler() throws Exception {
        fx(() -> {
            window.dispose();
            Thread.currentThread().setUncaughtExceptionHandler(previousHandler);
            return null;
        });
    }

    // ---- helpers

    private static PresenceViewModel.Row row(String id, String name, String color, boolean self) {
        return new PresenceViewModel.Row(id, name, color, self, true, false);
    }

    /** Shows peers exactly as a session does with what the hub reports. */
    private void showPeers(List<PresenceViewModel.Row> rows, List<RemoteCursors.Cursor> cursors) throws Exception {
        fx(() -> {
            window.presence.update(rows);
            window.cursors.update(cursors);
            return null;
        });
    }

    private static Bounds onScreen(Node n) {
        return n.localToScreen(n.getLayoutBounds());
    }

    /** The text a label really displays (its skin's Text node): differs from getText() when cut to "...". */
    private static String displayed(Label l) {
        Node t = l.lookup(".text");
        return t instanceof Text text ? text.getText() : "";
    }

    /** The label of peer {@code id} is beside its caret, top-aligned, within the caret's line. */
    private boolean labelBesideCaret(String id) {
        Label label = window.cursors.labelNode(id).orElseThrow();
        Bounds caret = window.cursors.caretBoundsOnScreen(id).orElse(null);
        Bounds l = onScreen(label);
        if (caret == null || l == null || !label.isVisible()) return false;
        boolean rightOf = Math.abs(l.getMinX() - (caret.getMaxX() + 1)) <= 1.5;
        boolean leftOf = Math.abs(l.getMaxX() - (caret.getMinX() - 1)) <= 1.5;
        return (rightOf || leftOf) && Math.abs(l.getMinY() - caret.getMinY()) <= 1 && l.getMaxY() <= caret.getMaxY() + 1;
    }

    /** A person's name in the sidebar, once a pulse has drawn it; null before. */
    private Node personName(String name) {
        return window.stage.getScene().getRoot().lookupAll(".person-name").stream()
                .filter(n -> ((Label) n).getText().equals(name)).findFirst().orElse(null);
    }

    private static String paragraphs(int count, int length) {
        StringBuilder b = new StringBuilder();
        for (int p = 0; p < count; p++) {
            StringBuilder par = new StringBuilder();
            for (int w = 0; par.length() < length; w++) par.append("word").append(p).append('-').append(w).append(' ');
            b.append(par, 0, length).append('\n');
        }
        return b.toString();
    }

    // ---- the tests

    @Test
    void hostilePresence_isShownCleanedAndNeverThrows() throws Exception {
        fx(() -> {
            window.area.replaceText("some text\nmore text");
            return null;
        });
        String evil = "Eve\u202Egnp.exe\nsecond line\u0007\u2066x\u2069" + "!".repeat(100);
        String injected = "red; -fx-font-size: 99px";
        showPeers(List.of(row("1", "Ada", "#1f77b4", true), row("e", evil, "not-a-colour", false),
                        row("f", "Mallory", injected, false), row("g", null, null, false)),
                List.of(new RemoteCursors.Cursor("e", evil, "not-a-colour", Anchor.START, null),
                        new RemoteCursors.Cursor("f", "Mallory", injected, fx(() -> doc.anchor(4, Bias.LEFT)), Anchor.END),
                        new RemoteCursors.Cursor("g", null, null, Anchor.END, null)));

        String clean = DisplayNames.clean(evil);
        assertTrue(clean.startsWith("Eve") && clean.contains("second line"), clean);
        assertTrue(clean.codePoints().noneMatch(c -> c == '\n' || c == 7 || c == 0x202E || c == 0x2066 || c == 0x2069), clean);
        assertTrue(clean.codePointCount(0, clean.length()) <= DisplayNames.MAX_LENGTH, clean);
        eventually("the sidebar shows everyone, names cleaned", () -> window.stage.getScene().getRoot()
                .lookupAll(".person-name").stream().map(n -> ((Label) n).getText()).toList()
                .containsAll(List.of("Ada (you)", clean, "Mallory", DisplayNames.ANONYMOUS)));
        assertEquals(clean, fx(() -> window.cursors.labelOf("e").orElseThrow()));
        assertEquals(DisplayNames.ANONYMOUS, fx(() -> window.cursors.labelOf("g").orElseThrow()));
        String style = fx(() -> window.cursors.labelNode("f").orElseThrow().getStyle());
        assertTrue(style.contains(UserColors.FALLBACK) && !style.contains("99px"), "no CSS from the network: " + style);
        for (Node cell : fx(() -> window.stage.getScene().getRoot().lookupAll(".person-cell"))) {
            String name = fx(() -> {
                Node n = cell.lookup(".person-name");
                return n == null ? "" : ((Label) n).getText();
            });
            if (name.equals(clean) || name.equals("Mallory") || name.equals(DisplayNames.ANONYMOUS)) {
                assertEquals(Color.web(UserColors.FALLBACK), fx(() -> ((Circle) cell.lookup("Circle")).getFill()), name);
            }
        }
        double oneLine = fx(() -> personName("Mallory").getLayoutBounds().getHeight());
        double evilHeight = fx(() -> personName(clean).getLayoutBounds().getHeight());
        assertEquals(oneLine, evilHeight, 0.5, "a name is one line");
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals(List.of(), fxErrors, "nothing thrown on the FX thread");
    }

    @Test
    void nameLabel_followsItsCaretOnScrollRewrapAndEdits_andStaysOnItsLine() throws Exception {
        fx(() -> {
            window.area.replaceText(paragraphs(12, 600));
            window.area.moveTo(0);
            window.area.showParagraphAtTop(0);
            return null;
        });
        Anchor at = fx(() -> doc.anchor(300, Bias.LEFT)); // the middle of the first paragraph, a few lines down
        showPeers(List.of(row("1", "Ada", "#1f77b4", true), row("b", "Grace", "#d62728", false)),
                List.of(new RemoteCursors.Cursor("b", "Grace", "#d62728", at, null)));
        eventually("the label is beside Grace's caret, on its line", () -> labelBesideCaret("b"));

        double before = fx(() -> window.cursors.caretBoundsOnScreen("b").orElseThrow().getMinY());
        fx(() -> {
            window.area.scrollYBy(45);
            return null;
        });
        eventually("the label followed the scroll", () -> labelBesideCaret("b")
                && window.cursors.caretBoundsOnScreen("b").orElseThrow().getMinY() < before - 40);

        Bounds wide = fx(() -> window.cursors.caretBoundsOnScreen("b").orElseThrow());
        fx(() -> {
            stage.setWidth(stage.getMinWidth()); // narrower: the paragraph wraps again, the caret moves
            return null;
        });
        eventually("the label followed the re-wrap", () -> labelBesideCaret("b")
                && !window.cursors.caretBoundsOnScreen("b").orElseThrow().equals(wide));

        fx(() -> {
            window.area.insertText(10, "a few words typed before Grace's caret ");
            return null;
        });
        eventually("the label followed the edit", () -> labelBesideCaret("b")
                && window.cursors.positionOf("b").orElseThrow() == 300 + 39);

        fx(() -> {
            window.area.showParagraphAtTop(10);
            return null;
        });
        eventually("the label hides while its caret is scrolled away", () -> !window.cursors.labelNode("b").orElseThrow().isVisible());
        assertEquals(List.of(), fxErrors);
    }

    @Test
    void nameLabel_showsAfterActivityThenHides() throws Exception {
        fx(() -> {
            window.cursors.setLabelDuration(Duration.millis(100));
            window.area.replaceText("hello world");
            return null;
        });
        showPeers(List.of(row("1", "Ada", "#1f77b4", true), row("b", "Grace", "#d62728", false)),
                List.of(new RemoteCursors.Cursor("b", "Grace", "#d62728", fx(() -> doc.anchor(5, Bias.LEFT)), null)));
        eventually("an idle peer's label goes away", () -> !window.cursors.labelNode("b").orElseThrow().isVisible());
        fx(() -> {
            window.cursors.setLabelDuration(Duration.hours(1));
            return null;
        });
        showPeers(List.of(row("1", "Ada", "#1f77b4", true), row("b", "Grace", "#d62728", false)),
                List.of(new RemoteCursors.Cursor("b", "Grace", "#d62728", fx(() -> doc.anchor(8, Bias.LEFT)), null)));
        eventually("it comes back when they move", () -> labelBesideCaret("b"));
    }

    @Test
    void clickingPersonInSidebar_scrollsTheirCaretIntoView(FxRobot robot) throws Exception {
        String longParagraph = paragraphs(1, 9000).strip();
        fx(() -> {
            window.area.replaceText("Intro\n" + longParagraph + "\nOutro\n");
            return null;
        });
        int near = 6 + longParagraph.length() - 40; // near the end of a paragraph far taller than the window
        showPeers(List.of(row("1", "Ada", "#1f77b4", true), row("b", "Grace", "#d62728", false)),
                List.of(new RemoteCursors.Cursor("b", "Grace", "#d62728", fx(() -> doc.anchor(near, Bias.LEFT)), null)));
        fx(() -> {
            window.area.showParagraphAtTop(0);
            return null;
        });
        eventually("Grace's caret is out of view", () -> {
            Bounds caret = window.cursors.caretBoundsOnScreen("b").orElse(null);
            return caret == null || !onScreen(window.area).contains(caret);
        });
        eventually("the sidebar shows Grace", () -> personName("Grace") != null);
        Node grace = fx(() -> personName("Grace"));
        int mine = fx(() -> window.area.getCaretPosition());
        robot.clickOn(grace);
        eventually("Grace's caret is in view", () -> {
            Bounds caret = window.cursors.caretBoundsOnScreen("b").orElse(null);
            return caret != null && onScreen(window.area).contains(caret);
        });
        assertEquals(mine, fx(() -> window.area.getCaretPosition()), "your own caret does not move");
    }

    @Test
    void statusBar_staysReadableDownToTheMinimumWidth() throws Exception {
        fx(() -> {
            window.status.setConnection(StatusViewModel.Connection.CONNECTING, 12_000,
                    "Connection refused: ws://192.168.100.200:7070/rooms/quarterly%20planning%20notes (no route to host)");
            window.status.setUnsent(1234);
            window.status.setLength(1_234_567);
            return null;
        });
        for (double width : new double[] {800, fx(() -> stage.getMinWidth())}) {
            fx(() -> {
                stage.setWidth(width);
                return null;
            });
            eventually("every status item is whole at " + width + " px", () -> {
                for (String id : List.of("#status-connection", "#status-unsent", "#status-room", "#status-length")) {
                    Label l = (Label) stage.getScene().lookup(id);
                    if (id.equals("#status-room") && !l.isVisible()) continue; // the first to go; the title has it
                    if (!l.isVisible() || l.getText().isEmpty() || !displayed(l).equals(l.getText())) return false;
                }
                return true;
            });
        }
        assertTrue(fx(() -> stage.getMinWidth()) >= 560);
        Label error = fx(() -> (Label) stage.getScene().lookup("#status-error"));
        assertTrue(fx(() -> error.getTooltip().getText()).startsWith("Connection refused"), "the whole error is in the tooltip");
    }

    @Test
    void copyInvite_copiesAndSaysSo(FxRobot robot) throws Exception {
        Button copy = fx(() -> (Button) stage.getScene().lookup("#copy-invite"));
        fx(() -> {
            window.setCopiedFeedback(Duration.hours(1));
            return null;
        });
        robot.clickOn(copy);
        assertEquals("Copied!", fx(copy::getText));
        assertEquals(ADDRESS.invite(), fx(() -> Clipboard.getSystemClipboard().getString()));
        fx(() -> {
            window.setCopiedFeedback(Duration.millis(50));
            return null;
        });
        robot.clickOn(copy);
        eventually("the button reads Copy invite again", () -> copy.getText().equals("Copy invite"));
    }

    @Test
    void typingABurst_withSomeoneElsesCursorShown_keepsEverything(FxRobot robot) throws Exception {
        fx(() -> {
            window.area.replaceText(paragraphs(3, 400));
            window.area.moveTo(window.area.getLength());
            return null;
        });
        Anchor at = fx(() -> doc.anchor(450, Bias.LEFT));
        showPeers(List.of(row("1", "Ada", "#1f77b4", true), row("b", "Grace", "#d62728", false)),
                List.of(new RemoteCursors.Cursor("b", "Grace", "#d62728", at, null)));
        int before = fx(() -> window.area.getLength());
        String burst = "the quick brown fox jumps over the lazy dog ".repeat(5);
        robot.clickOn(window.area);
        fx(() -> {
            window.area.moveTo(window.area.getLength());
            return null;
        });
        robot.write(burst);
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals(before + burst.length(), fx(() -> window.area.getLength()));
        assertEquals(fx(() -> window.area.getText()), fx(() -> doc.text()), "the area and the UI replica agree");
        Doc remote = new Doc();
        for (Update u : fx(() -> List.copyOf(sent))) remote.apply(Update.decode(u.encode()));
        assertEquals(fx(() -> doc.text()), remote.text(), "every keystroke went out");
        eventually("the status counts every character",
                () -> window.status.lengthTextProperty().get().equals(String.format(java.util.Locale.ROOT, "%,d characters", before + burst.length())));
        assertEquals(450, fx(() -> window.cursors.positionOf("b").orElseThrow()), "Grace's caret stays on her character");
        fx(() -> {
            window.area.showParagraphAtTop(0);
            return null;
        });
        eventually("Grace's label is still beside her caret", () -> labelBesideCaret("b"));
    }

    @Test
    void helpAbout_showsTheProjectVersion() throws Exception {
        String expected = System.getProperty("tandem.expectedVersion");
        assertNotNull(expected, "surefire passes the POM's version");
        javafx.scene.control.MenuItem about = fx(() -> ((javafx.scene.control.MenuBar) stage.getScene().lookup(".menu-bar")).getMenus().stream()
                .filter(m -> m.getText().equals("_Help"))
                .flatMap(m -> m.getItems().stream())
                .filter(i -> "menu-about".equals(i.getId()))
                .findFirst().orElseThrow());
        fx(() -> {
            about.fire();
            return null;
        });
        javafx.scene.control.DialogPane pane = fx(() -> javafx.stage.Window.getWindows().stream()
                .map(w -> w.getScene() == null ? null : w.getScene().lookup("#about-dialog"))
                .filter(n -> n != null)
                .map(n -> (javafx.scene.control.DialogPane) n)
                .findFirst().orElseThrow(() -> new AssertionError("no About dialog showing")));
        assertEquals("Tandem " + expected, fx(pane::getHeaderText));
        // The window carries the application's icon (both sizes loaded).
        assertEquals(List.of(48.0, 256.0), fx(() -> stage.getIcons().stream().filter(i -> !i.isError()).map(javafx.scene.image.Image::getWidth).toList()));
        fx(() -> {
            pane.getScene().getWindow().hide();
            return null;
        });
    }
}
