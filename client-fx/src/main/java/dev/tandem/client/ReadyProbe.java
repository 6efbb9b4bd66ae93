package dev.tandem.client;

import javafx.application.Platform;
import javafx.scene.Node;
import javafx.scene.control.ComboBoxBase;
import javafx.scene.control.TextInputControl;
import javafx.stage.Stage;
import org.fxmisc.richtext.GenericStyledArea;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * For start-up measurements and the packaging checks (packaging/startup-bench.sh,
 * .ci/package-check): with the environment variable {@code TANDEM_READY_PROBE} set, the first
 * window that is showing with its keyboard focus in a text field or the editor prints one line,
 * {@code tandem-ready window=TITLE uptime-ms=N}. With {@code TANDEM_READY_PROBE=exit} the
 * application then quits normally (that is how the CDS class list is recorded). Unset, it does
 * nothing.
 */
final class ReadyProbe {
    private static final String MODE = System.getenv("TANDEM_READY_PROBE");
    private static final AtomicBoolean reported = new AtomicBoolean();

    private ReadyProbe() {}

    /** Watches {@code stage} (FX thread). */
    static void watch(Stage stage) {
        if (MODE == null || MODE.isEmpty()) return;
        // Showing, not focused: whether the desktop gives the window the focus is the window
        // manager's business (Xvfb without one never does); typing goes where the scene has it.
        stage.showingProperty().addListener((obs, was, showing) -> check(stage));
        stage.sceneProperty().addListener((obs, old, scene) -> {
            if (scene != null) scene.focusOwnerProperty().addListener((o, a, b) -> check(stage));
        });
        if (stage.getScene() != null) stage.getScene().focusOwnerProperty().addListener((o, a, b) -> check(stage));
    }

    private static void check(Stage stage) {
        if (!stage.isShowing() || stage.getScene() == null) return;
        Node owner = stage.getScene().getFocusOwner();
        boolean typable = owner instanceof TextInputControl || owner instanceof GenericStyledArea
                || owner instanceof ComboBoxBase<?> box && box.isEditable(); // the start screen's room field
        if (!typable) return;
        if (!reported.compareAndSet(false, true)) return;
        // After this pulse, so the window has been drawn with its focus once.
        Platform.runLater(() -> {
            // From the process's start (the launcher's exec), not the JVM's: java.management would
            // cost a module and its start-up for one number.
            long ms = ProcessHandle.current().info().startInstant()
                    .map(start -> Duration.between(start, Instant.now()).toMillis()).orElse(-1L);
            System.out.println("tandem-ready window=" + stage.getTitle() + " uptime-ms=" + ms);
            System.out.flush();
            if (MODE.equals("exit")) Platform.exit();
        });
    }
}
