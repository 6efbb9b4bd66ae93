package dev.tandem.client;

import javafx.application.Platform;
import javafx.scene.Node;
import javafx.scene.control.Label;
import javafx.scene.input.KeyCode;
import javafx.stage.Stage;
import javafx.stage.Window;
import org.testfx.api.FxRobot;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Runs the real application in this process, exactly as a user starts it ({@link Main#main} with
 * the given arguments, none for the start screen), under headless Monocle, and drives it like a
 * user with a TestFX robot from another thread. No TestFX stage exists: the windows are the
 * application's own, so the application exits when its last window closes, as it does for users.
 *
 * <p>Commands come one per line on stdin; each is answered with one line on stdout starting with
 * {@code harness: ok} or {@code harness: error}. {@link AppProcess} is the other end.
 *
 * <ul>
 *   <li>{@code start-screen NAME|SERVER|ROOM}: fills the start screen that is showing and presses
 *       its button; SERVER {@code host} ticks "Host on this computer" (this computer only, unless chosen before)</li>
 *   <li>{@code room ROOM}: waits for that room's window; answers its title and host banner</li>
 *   <li>{@code type ROOM|TEXT}: clicks into that room's editor and types</li>
 *   <li>{@code key ROOM|KEYS}: presses a shortcut (e.g. {@code SHORTCUT+Q}) in that room's window</li>
 * </ul>
 */
public final class AppHarness {
    private static final long WAIT_MILLIS = 20_000;

    private AppHarness() {}

    public static void main(String[] args) {
        System.setProperty("glass.platform", "Monocle");
        System.setProperty("monocle.platform", "Headless");
        System.setProperty("prism.order", "sw");
        System.setProperty("testfx.robot", "glass");
        Thread driver = new Thread(AppHarness::drive, "harness-driver");
        driver.setDaemon(true);
        driver.start();
        Main.main(args);
    }

    private static void drive() {
        FxRobot robot = null;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                try {
                    if (robot == null) robot = new FxRobot();
                    String answer = run(robot, line);
                    reply("ok " + answer);
                } catch (Throwable e) {
                    reply("error " + e);
                }
            }
        } catch (Exception e) {
            reply("error reading commands: " + e);
        }
    }

    private static void reply(String text) {
        System.out.println("harness: " + text.replace('\n', ' '));
        System.out.flush();
    }

    private static String run(FxRobot robot, String line) throws Exception {
        int space = line.indexOf(' ');
        String command = space < 0 ? line : line.substring(0, space);
        String[] a = space < 0 ? new String[0] : line.substring(space + 1).split("\\|", -1);
        switch (command) {
            case "start-screen" -> {
                Stage start = waitFor("a start screen", () -> showing(w -> w.getScene().lookup("#start-name") != null));
                robot.targetWindow(start);
                fill(robot, start, "#start-name", a[0]);
                boolean host = a[1].equals("host");
                boolean ticked = fx(() -> ((javafx.scene.control.CheckBox) start.getScene().lookup("#start-host")).isSelected());
                if (host != ticked) robot.clickOn(start.getScene().lookup("#start-host"));
                // The first time: who can join (this computer only, for a test).
                boolean chosen = fx(() -> ((javafx.scene.control.RadioButton) start.getScene().lookup("#start-host-local")).isSelected()
                        || ((javafx.scene.control.RadioButton) start.getScene().lookup("#start-host-network")).isSelected());
                if (host && !chosen) robot.clickOn(start.getScene().lookup("#start-host-local"));
                if (!host) fill(robot, start, "#start-server", a[1]);
                fill(robot, start, "#start-room .text-field", a[2]);
                robot.clickOn(start.getScene().lookup("#start-join"));
                return "";
            }
            case "room" -> {
                Stage room = roomWindow(a[0]);
                return fx(() -> room.getTitle() + "|" + ((Label) room.getScene().lookup("#host-banner")).getText());
            }
            case "type" -> {
                Stage room = roomWindow(a[0]);
                robot.targetWindow(room);
                robot.clickOn(room.getScene().lookup("#editor")).write(a[1]);
                return "";
            }
            case "key" -> {
                Stage room = roomWindow(a[0]);
                robot.targetWindow(room);
                robot.clickOn(room.getScene().lookup("#editor"));
                KeyCode[] keys = java.util.Arrays.stream(a[1].split("\\+"))
                        .map(k -> k.equals("SHORTCUT") ? (System.getProperty("os.name").startsWith("Mac") ? KeyCode.COMMAND : KeyCode.CONTROL) : KeyCode.valueOf(k))
                        .toArray(KeyCode[]::new);
                robot.push(keys);
                return "";
            }
            default -> throw new IllegalArgumentException("unknown command " + command);
        }
    }

    private static void fill(FxRobot robot, Stage stage, String selector, String text) throws Exception {
        Node field = fx(() -> stage.getScene().lookup(selector));
        if (field == null) throw new IllegalStateException("no " + selector);
        robot.clickOn(field);
        robot.push(System.getProperty("os.name").startsWith("Mac") ? KeyCode.COMMAND : KeyCode.CONTROL, KeyCode.A);
        robot.write(text);
    }

    private static Stage roomWindow(String room) throws Exception {
        return waitFor("the window of room " + room, () -> showing(w -> w.getScene().lookup("#editor") != null
                && ((Stage) w).getTitle().startsWith(room + " ")));
    }

    private static Optional<Stage> showing(java.util.function.Predicate<Window> p) {
        for (Window w : Window.getWindows()) {
            if (w instanceof Stage s && w.isShowing() && w.getScene() != null && p.test(w)) return Optional.of(s);
        }
        return Optional.empty();
    }

    /** Polls {@code find} on the FX thread until it finds something (bounded). */
    private static <T> T waitFor(String what, Supplier<Optional<T>> find) throws Exception {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
        while (System.nanoTime() < end) {
            try {
                Optional<T> found = fx(find::get);
                if (found.isPresent()) return found.get();
            } catch (IllegalStateException toolkitNotStartedYet) {
                // Platform.runLater before the application started the toolkit: try again.
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("timed out waiting for " + what);
    }

    private static <T> T fx(java.util.concurrent.Callable<T> c) throws Exception {
        return UiTesting.fx(c, WAIT_MILLIS / 1000);
    }
}
