package dev.tandem.client;

import javafx.scene.control.Label;
import javafx.scene.control.TextField;
import javafx.scene.input.KeyCode;
import javafx.stage.Stage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

import java.util.ArrayList;
import java.util.List;

import static dev.tandem.client.UiTesting.fx;
import static org.junit.jupiter.api.Assertions.*;

/** The start screen as a newcomer meets it: real window (headless Monocle), real clicks and keys. */
@ExtendWith(ApplicationExtension.class)
class StartScreenTest {
    private StartScreen screen;
    private final List<StartViewModel.JoinRequest> joined = new ArrayList<>(); // FX thread

    @Start
    void start(Stage stage) {
        // A first start: the name is known (from the system), no room yet.
        StartViewModel model = new StartViewModel(new Settings("Ada", "#1f77b4", "ws://127.0.0.1:7070", List.of()));
        screen = new StartScreen(stage, model, joined::add);
        stage.show();
    }

    private String problem(FxRobot robot) throws Exception {
        return fx(() -> robot.lookup("#start-problem").queryAs(Label.class).getText());
    }

    @Test
    void noErrorBeforeTheUserDidAnything_thenJoinSaysWhatIsMissing(FxRobot robot) throws Exception {
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals("", problem(robot), "nothing is wrong yet: the user has not typed");
        robot.clickOn("#start-join");
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals("Room name is empty.", problem(robot));
        assertTrue(fx(() -> robot.lookup("#start-room").queryComboBox().getEditor().isFocused()), "the focus goes where the problem is");
        assertEquals(List.of(), fx(() -> List.copyOf(joined)));
        robot.write("notes");
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals("", problem(robot));
        robot.type(KeyCode.ENTER);
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals("notes", fx(() -> joined.get(0).room()));
    }

    @Test
    void aFieldsProblemShowsOnceItWasTouched(FxRobot robot) throws Exception {
        TextField name = fx(() -> robot.lookup("#start-name").queryAs(TextField.class));
        robot.clickOn(name);
        robot.press(KeyCode.CONTROL).type(KeyCode.A).release(KeyCode.CONTROL).type(KeyCode.BACK_SPACE);
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals("Enter your name.", problem(robot), "the name was edited: its problem shows");
        robot.write("Grace");
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals("", problem(robot), "the untouched room field says nothing yet");
        robot.clickOn("#start-room");
        robot.clickOn("#start-name");
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals("", problem(robot), "passing through a field is not touching it");
        robot.clickOn("#start-room").write("x").type(KeyCode.BACK_SPACE);
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals("Room name is empty.", problem(robot), "typing in it and erasing it is");
    }
}
