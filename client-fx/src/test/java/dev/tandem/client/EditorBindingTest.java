package dev.tandem.client;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Update;
import javafx.scene.Scene;
import javafx.scene.input.KeyCode;
import javafx.stage.Stage;
import org.fxmisc.richtext.StyleClassedTextArea;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The binding between a real RichTextFX area and a real CRDT replica, driven by real key events.
 * "Remote" updates come from a second replica, as they would after travelling through the hub.
 */
@ExtendWith(ApplicationExtension.class)
class EditorBindingTest {
    private StyleClassedTextArea area;
    private EditorBinding binding;
    private final List<Update> sent = new ArrayList<>(); // FX thread
    private Doc remote;                                  // test thread, its own replica

    @Start
    void start(Stage stage) {
        area = new StyleClassedTextArea();
        area.setId("editor");
        binding = new EditorBinding(area, new Doc(), sent::add);
        stage.setScene(new Scene(area, 400, 200));
        stage.show();
    }

    private <T> T fx(Callable<T> c) throws Exception {
        return WaitForAsyncUtils.asyncFx(c).get();
    }

    /**
     * Waits (bounded) until the area reads {@code expected}: a robot's key events are queued onto
     * the FX thread as events of their own, and TestFX's waitForFxEvents is a number of round trips,
     * not a guarantee that they have all been handled.
     */
    private void awaitText(String expected, String why) throws Exception {
        try {
            WaitForAsyncUtils.waitFor(10, java.util.concurrent.TimeUnit.SECONDS, () -> fx(area::getText).equals(expected));
        } catch (java.util.concurrent.TimeoutException e) {
            assertEquals(expected, fx(area::getText), why);
        }
    }

    /** Sends everything typed so far to the remote replica, as the hub would. */
    private void deliverToRemote() throws Exception {
        for (Update u : fx(() -> { List<Update> copy = List.copyOf(sent); sent.clear(); return copy; })) {
            remote.apply(Update.decode(u.encode()));
        }
    }

    private void fromRemote(Update u) throws Exception {
        fx(() -> binding.applyRemote(List.of(Update.decode(u.encode()))));
    }

    @Test
    void typing_becomesUpdatesOthersCanApply(FxRobot robot) throws Exception {
        robot.clickOn("#editor").write("hello world");
        robot.type(KeyCode.BACK_SPACE, 6);
        awaitText("hello", "every keystroke arrived");
        assertEquals("hello", fx(() -> binding.doc().text()));
        remote = new Doc();
        deliverToRemote();
        assertEquals("hello", remote.text());
    }

    @Test
    void remoteEdits_patchAreaKeepCaretAndAreNotEchoed(FxRobot robot) throws Exception {
        robot.clickOn("#editor").write("abcdef");
        awaitText("abcdef", "every keystroke arrived");
        remote = new Doc();
        deliverToRemote();
        // Local caret between "abc" and "def", "cd" selected from right to left.
        fx(() -> { area.selectRange(4, 2); return null; });
        fromRemote(remote.insert(0, ">> "));           // before everything
        fromRemote(remote.insert(remote.length(), "!")); // after everything
        fromRemote(remote.insert(5, "X"));              // ">> abXcdef!": just before the selection
        fromRemote(remote.insert(8, "Y"));              // ">> abXcdYef!": just after the selection
        assertEquals(">> abXcdYef!", fx(area::getText));
        assertEquals("cd", fx(area::getSelectedText), "the selection stays on the same characters");
        assertEquals(6, fx(area::getCaretPosition), "the caret stays at the selection's start");
        assertTrue(fx(() -> sent.isEmpty()), "remote edits are not sent back");

        fx(() -> { area.moveTo(8); return null; }); // caret after "d"
        fromRemote(remote.insert(8, "ZZ"));          // someone types exactly at my caret
        assertEquals(">> abXcdZZYef!", fx(area::getText));
        assertEquals(8, fx(area::getCaretPosition), "a caret sticks to the character before it");
        robot.write("q");
        awaitText(">> abXcdqZZYef!", "my next keystroke continues my word");

        fromRemote(remote.delete(0, 3));
        assertEquals("abXcdqZZYef!", fx(area::getText));
        assertEquals(6, fx(area::getCaretPosition));
        deliverToRemote();
        assertEquals(fx(area::getText), remote.text());
        assertEquals(remote.text(), fx(() -> binding.doc().text()));
    }

    @Test
    void carriageReturnsFromOthers_keepPositionsAligned(FxRobot robot) throws Exception {
        remote = new Doc();
        fromRemote(remote.insert(0, "a\r\nb\rc\n"));
        assertEquals(remote.length(), fx(area::getLength));
        assertEquals("a\r\nb\rc\n", fx(() -> binding.doc().text()), "the replica keeps the real text");
        fromRemote(remote.insert(remote.length(), "end"));
        assertEquals(remote.text().replace('\r', EditorBinding.CR_GLYPH), fx(area::getText));
    }

    @Test
    void undoShortcut_neverUndoesAnything(FxRobot robot) throws Exception {
        robot.clickOn("#editor").write("mine");
        awaitText("mine", "every keystroke arrived");
        remote = new Doc();
        deliverToRemote();
        fromRemote(remote.insert(0, "theirs "));
        robot.press(KeyCode.CONTROL).type(KeyCode.Z).release(KeyCode.CONTROL);
        // A key typed after Ctrl+Z is handled after it: once it shows, Ctrl+Z has had its chance.
        robot.write("!");
        awaitText("theirs mine!", "Ctrl+Z undid nothing");
    }

    @Test
    void largePasteAndDelete_stayInOneUpdateEach(FxRobot robot) throws Exception {
        String big = "0123456789\n".repeat(20_000); // 220,000 characters
        fx(() -> { area.replaceText(0, 0, big); return null; });
        fx(() -> { area.deleteText(5, 150_005); return null; });
        assertEquals(2, fx(sent::size));
        assertEquals(big.length() - 150_000, fx(() -> binding.doc().length()));
        remote = new Doc();
        deliverToRemote();
        assertEquals(fx(area::getText), remote.text());
    }
}
