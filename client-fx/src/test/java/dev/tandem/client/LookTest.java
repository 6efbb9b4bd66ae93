package dev.tandem.client;

import atlantafx.base.theme.PrimerDark;
import atlantafx.base.theme.PrimerLight;
import dev.tandem.crdt.Bias;
import dev.tandem.crdt.Doc;
import javafx.application.Application;
import javafx.geometry.Bounds;
import javafx.scene.Node;
import javafx.scene.control.Label;
import javafx.scene.control.Menu;
import javafx.scene.control.MenuBar;
import javafx.scene.control.MenuItem;
import javafx.scene.control.RadioMenuItem;
import javafx.scene.input.KeyCode;
import javafx.scene.paint.Color;
import javafx.scene.paint.Paint;
import javafx.scene.text.Text;
import javafx.stage.Stage;
import javafx.util.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.tandem.client.UiTesting.eventually;
import static dev.tandem.client.UiTesting.fx;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The look of a real room window (headless Monocle, real key events): the theme through the View
 * menu, applied to every open window; the zoom keys, the text column, and what must stay right
 * after a zoom (remote cursors, find highlights); the zoom kept in the settings file across a
 * restart of the window.
 */
@ExtendWith(ApplicationExtension.class)
class LookTest {
    private static final RoomAddress ADDRESS = new RoomAddress(URI.create("ws://127.0.0.1:7070"), "look");

    @TempDir Path dir;
    private Stage stage;
    private RoomWindow window;
    private Doc doc;
    private volatile String lastSeen = ""; // what caretAtCharacter last found, for a failure's message

    @Start
    void start(Stage stage) {
        this.stage = stage;
        Look.get().setSystemProbe(() -> false);
        Look.get().configure(Look.ThemeChoice.LIGHT, 100, false, null);
        doc = new Doc();
        window = new RoomWindow(stage, ADDRESS, doc, u -> { }, new UiTesting.NoActions());
        window.cursors.setLabelDuration(Duration.hours(1));
        stage.setWidth(900);
        stage.setHeight(600);
        stage.show();
    }

    @AfterEach
    void reset() throws Exception {
        fx(() -> {
            window.dispose();
            Look.get().setSystemProbe(SystemTheme::prefersDark);
            Look.get().configure(Look.ThemeChoice.LIGHT, 100, false, null); // other tests share the process's look
            return null;
        });
    }

    // ---- helpers

    private MenuItem menuItem(String id) {
        MenuBar bar = (MenuBar) window.stage.getScene().getRoot().lookup(".menu-bar");
        for (Menu m : bar.getMenus()) {
            MenuItem found = find(m.getItems(), id);
            if (found != null) return found;
        }
        throw new AssertionError("no menu item " + id);
    }

    private static MenuItem find(List<MenuItem> items, String id) {
        for (MenuItem i : items) {
            if (id.equals(i.getId())) return i;
            if (i instanceof Menu sub) {
                MenuItem found = find(sub.getItems(), id);
                if (found != null) return found;
            }
        }
        return null;
    }

    /** The size of the plain text the editor draws now. */
    private double textSize() {
        for (Node n : window.area.lookupAll(".text")) {
            if (n instanceof Text t && t.getStyleClass().size() == 1 && !t.getText().isBlank()) return t.getFont().getSize();
        }
        return -1;
    }

    private static Bounds onScreen(Node n) {
        return n.localToScreen(n.getLayoutBounds());
    }

    /** A peer's caret is drawn at the left edge of the character it stands before, on its line and about as tall, with its label beside it. */
    private boolean caretAtCharacter(String id, int pos) {
        Bounds caret = window.cursors.caretBoundsOnScreen(id).orElse(null);
        Bounds ch = window.area.getCharacterBoundsOnScreen(pos, pos + 1).orElse(null);
        Label label = window.cursors.labelNode(id).orElseThrow();
        Bounds l = onScreen(label);
        lastSeen = "caret " + caret + ", character " + ch + ", label " + l + (label.isVisible() ? "" : " (hidden)");
        if (caret == null || ch == null || l == null || !label.isVisible()) return false;
        return Math.abs(caret.getMinX() - ch.getMinX()) <= 2
                // within the character's line box (which includes the line spacing) and most of its height
                && caret.getMinY() >= ch.getMinY() - 1 && caret.getMaxY() <= ch.getMaxY() + 1 && caret.getHeight() >= 0.75 * ch.getHeight()
                && Math.abs(l.getMinX() - (caret.getMaxX() + 1)) <= 1.5 && Math.abs(l.getMinY() - caret.getMinY()) <= 1;
    }

    // ---- theme

    @Test
    void themeMenu_switchesEveryOpenWindowLive() throws Exception {
        Stage other = fx(() -> {
            Stage s = new Stage();
            new RoomWindow(s, new RoomAddress(URI.create("ws://127.0.0.1:7070"), "second"), new Doc(), u -> { }, new UiTesting.NoActions());
            s.show();
            return s;
        });
        assertEquals(new PrimerLight().getUserAgentStylesheet(), fx(Application::getUserAgentStylesheet));
        Paint lightBackground = fx(() -> window.area.getBackground().getFills().get(0).getFill());

        fx(() -> {
            menuItem("menu-theme-dark").fire();
            return null;
        });
        assertEquals(new PrimerDark().getUserAgentStylesheet(), fx(Application::getUserAgentStylesheet));
        assertTrue(fx(() -> window.stage.getScene().getRoot().getStyleClass().contains(Look.DARK_CLASS)));
        assertTrue(fx(() -> other.getScene().getRoot().getStyleClass().contains(Look.DARK_CLASS)), "every open window follows");
        assertTrue(fx(() -> ((RadioMenuItem) menuItem("menu-theme-dark")).isSelected()));
        eventually("the editor is dark, its text light", () -> {
            Paint bg = window.area.getBackground().getFills().get(0).getFill();
            Text t = (Text) window.area.lookup(".text");
            return bg instanceof Color c && c.getBrightness() < 0.2 && !bg.equals(lightBackground)
                    && (t == null || ((Color) t.getFill()).getBrightness() > 0.7);
        });

        fx(() -> {
            menuItem("menu-theme-light").fire();
            return null;
        });
        assertEquals(new PrimerLight().getUserAgentStylesheet(), fx(Application::getUserAgentStylesheet));
        assertFalse(fx(() -> other.getScene().getRoot().getStyleClass().contains(Look.DARK_CLASS)));
        fx(() -> {
            other.close();
            return null;
        });
    }

    @Test
    void systemChoice_asksTheSystemOffTheFxThread_andAgainWhenAWindowComesToTheFront() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        Thread[] on = new Thread[1];
        boolean[] dark = {true}; // what the system says
        fx(() -> {
            Look.get().setSystemProbe(() -> {
                on[0] = Thread.currentThread();
                asked.incrementAndGet();
                return dark[0];
            });
            menuItem("menu-theme-system").fire();
            return null;
        });
        eventually("the system's dark setting is followed", () -> Look.get().isDark()
                && window.stage.getScene().getRoot().getStyleClass().contains(Look.DARK_CLASS));
        assertEquals(1, asked.get());
        assertNotEquals("JavaFX Application Thread", on[0].getName());
        assertEquals(new PrimerDark().getUserAgentStylesheet(), fx(Application::getUserAgentStylesheet));

        // The user switches their desktop back to light and comes back to Tandem: it follows. (What
        // a window's focus listener calls: headless Monocle does not move window focus on a click.)
        dark[0] = false;
        fx(() -> {
            Look.get().setAskAgainAfter(java.time.Duration.ZERO);
            Look.get().windowFocused();
            return null;
        });
        eventually("coming back to a Tandem window asked the system again, and the theme followed", () -> asked.get() == 2
                && !Look.get().isDark() && !window.stage.getScene().getRoot().getStyleClass().contains(Look.DARK_CLASS));
        fx(() -> {
            Look.get().setAskAgainAfter(Look.ASK_AGAIN_AFTER);
            Look.get().windowFocused();
            return null;
        });
        Thread.sleep(300);
        assertEquals(2, asked.get(), "not again within " + Look.ASK_AGAIN_AFTER);
        fx(() -> {
            Look.get().setTheme(Look.ThemeChoice.LIGHT);
            Look.get().setAskAgainAfter(java.time.Duration.ZERO);
            Look.get().windowFocused();
            return null;
        });
        Thread.sleep(300);
        assertEquals(2, asked.get(), "a chosen theme never asks the system");
    }

    // ---- zoom

    @Test
    void zoomKeys_changeTheEditorFontOnly(FxRobot robot) throws Exception {
        fx(() -> {
            window.area.replaceText("Some text to zoom.\nA second paragraph.");
            return null;
        });
        eventually("the text is drawn at 15px", () -> textSize() == Look.EDITOR_FONT_PX);
        double menuFont = fx(() -> ((Label) window.stage.getScene().getRoot().lookup(".status-bar .label")).getFont().getSize());
        robot.clickOn(window.area);

        robot.push(KeyCode.CONTROL, KeyCode.EQUALS);
        eventually("Ctrl+= zooms in one step", () -> Look.get().zoom() == 110 && Math.abs(textSize() - 16.5) < 0.01);
        robot.push(KeyCode.CONTROL, KeyCode.ADD);
        eventually("Ctrl++ (keypad) too", () -> Look.get().zoom() == 125 && Math.abs(textSize() - 18.75) < 0.01);
        assertTrue(fx(() -> menuItem("menu-zoom-reset").getText().contains("125 %")), "the menu says the zoom");
        assertEquals(menuFont, fx(() -> ((Label) window.stage.getScene().getRoot().lookup(".status-bar .label")).getFont().getSize()),
                "the window's chrome keeps its size");
        robot.push(KeyCode.CONTROL, KeyCode.MINUS);
        robot.push(KeyCode.CONTROL, KeyCode.MINUS);
        robot.push(KeyCode.CONTROL, KeyCode.MINUS);
        eventually("Ctrl+- zooms out", () -> Look.get().zoom() == 90 && Math.abs(textSize() - 13.5) < 0.01);
        robot.push(KeyCode.CONTROL, KeyCode.DIGIT0);
        eventually("Ctrl+0 resets", () -> Look.get().zoom() == 100 && textSize() == Look.EDITOR_FONT_PX);
        assertEquals("Some text to zoom.\nA second paragraph.", fx(() -> window.area.getText()), "no key typed anything");
        for (int i = 0; i < 20; i++) robot.push(KeyCode.CONTROL, KeyCode.EQUALS);
        eventually("the zoom stops at 300 %", () -> Look.get().zoom() == 300 && textSize() == 45);
        assertTrue(fx(() -> menuItem("menu-zoom-in").isDisable()));
    }

    @Test
    void zoom_isKeptInTheSettingsAcrossARestartOfTheWindow(FxRobot robot) throws Exception {
        Settings start = Settings.defaults("#1f77b4");
        Settings[] current = {start};
        fx(() -> {
            // What TandemApp does: each change the user makes is written to the settings file.
            Look.get().configure(start.theme(), start.zoom(), false, look -> {
                current[0] = current[0].withLook(look.theme(), look.zoom());
                try {
                    current[0].save(dir);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            window.area.replaceText("Zoomed text");
            return null;
        });
        robot.clickOn(window.area);
        robot.push(KeyCode.CONTROL, KeyCode.EQUALS);
        robot.push(KeyCode.CONTROL, KeyCode.EQUALS);
        fx(() -> {
            menuItem("menu-theme-dark").fire();
            return null;
        });
        eventually("zoomed to 125 %", () -> Look.get().zoom() == 125);
        String file = Files.readString(dir.resolve(Settings.FILE));
        assertTrue(file.contains("zoom=125") && file.contains("theme=dark"), file);

        // The window closes and the application starts again from the file.
        fx(() -> {
            window.dispose();
            stage.close();
            Look.get().configure(Look.ThemeChoice.LIGHT, 100, false, null);
            Settings loaded = Settings.load(dir, "#000000");
            Look.get().configure(loaded.theme(), loaded.zoom(), false, null);
            window = new RoomWindow(stage, ADDRESS, new Doc(), u -> { }, new UiTesting.NoActions());
            window.area.replaceText("Zoomed text");
            stage.show();
            return null;
        });
        eventually("the new window's editor is at 125 %", () -> Math.abs(textSize() - 18.75) < 0.01);
        assertTrue(fx(() -> window.stage.getScene().getRoot().getStyleClass().contains(Look.DARK_CLASS)));
    }

    @Test
    void settings_refuseGarbageThemeAndZoom() throws Exception {
        Files.writeString(dir.resolve(Settings.FILE), "name=Ada\ntheme=purple\nzoom=99999999999\n");
        Settings s = Settings.load(dir, "#1f77b4");
        assertEquals(Look.ThemeChoice.SYSTEM, s.theme());
        assertEquals(100, s.zoom());
        Files.writeString(dir.resolve(Settings.FILE), "theme=dark\nzoom=-5\n");
        s = Settings.load(dir, "#1f77b4");
        assertEquals(Look.ThemeChoice.DARK, s.theme());
        assertEquals(100, s.zoom());
        Files.writeString(dir.resolve(Settings.FILE), "zoom=1000\n");
        assertEquals(300, Settings.load(dir, "#1f77b4").zoom(), "out of range: the nearest step");
        Files.writeString(dir.resolve(Settings.FILE), "zoom=130\n");
        assertEquals(125, Settings.load(dir, "#1f77b4").zoom());
        assertEquals(50, Look.stepFrom(50, -1));
        assertEquals(300, Look.stepFrom(300, +1));
        assertEquals(110, Look.stepFrom(105, +1));
    }

    @Test
    void remoteCursorAndFindHighlights_stayOnTheirCharactersAfterZoom(FxRobot robot) throws Exception {
        String text = "The quick brown fox jumps over the lazy dog, and the dog does not mind at all. ".repeat(6);
        int at = text.indexOf("lazy"); // on the first line at any zoom: in view
        fx(() -> {
            window.area.replaceText(text);
            window.cursors.update(List.of(new RemoteCursors.Cursor("g", "Grace", "#d62728", doc.anchor(at, Bias.LEFT), null)));
            window.find.show(false);
            window.find.query.setText("dog");
            return null;
        });
        eventually("Grace's caret is before 'lazy'", () -> caretAtCharacter("g", at));
        eventually("find highlights every 'dog'", () -> window.find.matches() == 12);

        for (int zoom : List.of(200, 67, 150)) {
            fx(() -> {
                Look.get().setZoom(zoom);
                return null;
            });
            try {
                eventually("after a zoom to " + zoom + " %, Grace's caret and label are still at her character",
                        () -> Math.abs(textSize() - 15 * zoom / 100.0) < 0.01 && caretAtCharacter("g", at));
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + ": " + lastSeen, e);
            }
            eventually("the find highlights cover exactly the matches", () -> {
                List<Text> matched = window.area.lookupAll(".find-match").stream().map(n -> (Text) n).toList();
                if (matched.isEmpty()) return false;
                for (Text t : matched) {
                    if (!t.getText().equals("dog") || Math.abs(t.getFont().getSize() - 15 * zoom / 100.0) > 0.01) return false;
                }
                // The first match's drawn text is where the editor says the match's characters are.
                int first = text.indexOf("dog");
                Bounds chars = window.area.getCharacterBoundsOnScreen(first, first + 3).orElse(null);
                Bounds drawn = onScreen(matched.get(0));
                return chars != null && Math.abs(chars.getMinX() - drawn.getMinX()) <= 2 && Math.abs(chars.getMaxX() - drawn.getMaxX()) <= 2;
            });
        }
    }

    // ---- the text column

    @Test
    void textColumn_isCentredWhenWide_andWrapsAtTheWindowWhenNarrow(FxRobot robot) throws Exception {
        fx(() -> {
            window.area.replaceText("word ".repeat(100) + "\nThe second paragraph");
            stage.setWidth(1250); // the headless screen is 1280 wide
            return null;
        });
        eventually("a wide window gets a centred column of about 80 characters", () -> {
            double column = window.area.getWidth() - window.area.getPadding().getLeft() - window.area.getPadding().getRight();
            return Math.abs(column - Look.COLUMN_EM * 15) <= 2
                    && Math.abs(window.area.getPadding().getLeft() - window.area.getPadding().getRight()) < 1;
        });
        Bounds area = fx(() -> onScreen(window.area));
        eventually("the text starts well inside a wide window, once laid out", () -> window.area.getCharacterBoundsOnScreen(0, 1)
                .map(line -> line.getMinX() - area.getMinX() > 150).orElse(false));
        int second = 501; // after 100 words and the line break
        Bounds secondLine = fx(() -> window.area.getCharacterBoundsOnScreen(second, second + 1).orElseThrow());
        robot.clickOn(area.getMinX() + 20, secondLine.getCenterY());
        eventually("a click in the left margin puts the caret at the start of that line", () -> window.area.getCaretPosition() == second);
        fx(() -> {
            stage.setWidth(RoomWindow.MIN_WIDTH);
            return null;
        });
        eventually("a narrow window keeps the least margins", () -> window.area.getPadding().getLeft() == Look.MIN_MARGIN
                && window.area.getPadding().getRight() == Look.MIN_MARGIN);
        fx(() -> {
            stage.setWidth(1250); // the headless screen is 1280 wide
            Look.get().setZoom(200);
            return null;
        });
        eventually("zoomed, the column is as many characters wide", () -> {
            double column = window.area.getWidth() - window.area.getPadding().getLeft() - window.area.getPadding().getRight();
            return Math.abs(column - Math.min(Look.COLUMN_EM * 30, window.area.getWidth() - 2 * Look.MIN_MARGIN)) <= 2;
        });
    }
}
