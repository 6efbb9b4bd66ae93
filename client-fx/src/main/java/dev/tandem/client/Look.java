package dev.tandem.client;

import atlantafx.base.theme.PrimerDark;
import atlantafx.base.theme.PrimerLight;
import javafx.application.Application;
import javafx.beans.InvalidationListener;
import javafx.beans.binding.Bindings;
import javafx.beans.binding.BooleanBinding;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.BooleanProperty;
import javafx.geometry.Insets;
import javafx.scene.Parent;
import javafx.scene.Scene;
import javafx.scene.control.Menu;
import javafx.scene.control.MenuItem;
import javafx.scene.control.RadioMenuItem;
import javafx.scene.control.ToggleGroup;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyCodeCombination;
import javafx.scene.input.KeyCombination;
import javafx.scene.input.KeyEvent;
import javafx.stage.Window;
import org.fxmisc.richtext.StyleClassedTextArea;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * How every window of this process looks: the theme (light or dark, or the system's) and the
 * editor's zoom. One per process, as the theme is: JavaFX has one user-agent stylesheet for all
 * windows.
 *
 * <ul>
 *   <li><b>Theme.</b> AtlantaFX's Primer Light or Primer Dark is the user-agent stylesheet (every
 *       standard control, dialogs included); tandem.css is on top of it and draws Tandem's own
 *       parts with Primer's colour variables ({@code -color-fg-default} ...) plus a few of its own,
 *       set per theme under the root's {@link #DARK_CLASS}. A change applies at once to every open
 *       window. "Same as the system" asks the system at start-up (TandemApp), when it is chosen,
 *       and when a window comes to the front ({@link #windowFocused}).</li>
 *   <li><b>Zoom.</b> The editor's text only, not the menus and bars: the area's font size is
 *       {@link #EDITOR_FONT_PX} times the zoom, and everything inside the editor is sized in
 *       {@code em}, so headings, code, list markers and line spacing follow it.</li>
 *   <li><b>Line width.</b> A wide window does not give lines of 200 characters: the text column is
 *       at most {@link #COLUMN_EM} em (about 80 characters) and centred; a narrow one wraps at its
 *       width, with {@link #MIN_MARGIN} px margins.</li>
 * </ul>
 *
 * <p>Threading: FX thread only, except the system theme probe, which runs on a daemon thread of
 * its own and hands its answer to the FX thread.
 */
final class Look {
    /** View > Theme. */
    enum ThemeChoice {
        SYSTEM, LIGHT, DARK;

        /** As stored in the settings file. */
        String key() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** From the settings file; anything else is {@link #SYSTEM}. */
        static ThemeChoice parse(String key) {
            for (ThemeChoice c : values()) if (c.key().equals(key)) return c;
            return SYSTEM;
        }
    }

    /** On the root of every window's scene while the dark theme is on (tandem.css's dark rules hang on it). */
    static final String DARK_CLASS = "theme-dark";
    /** The editor's font size at 100 %. */
    static final double EDITOR_FONT_PX = 15;
    /** The zoom levels Ctrl+= and Ctrl+- step through, in percent, as browsers do. */
    static final List<Integer> ZOOM_STEPS = List.of(50, 67, 75, 80, 90, 100, 110, 125, 150, 175, 200, 250, 300);
    /** The widest text column, in em of the editor's font: about 80 characters of prose in DejaVu Serif. */
    static final double COLUMN_EM = 40;
    /** How often the system is asked again at most, while the theme follows it ({@link #windowFocused}). */
    static final java.time.Duration ASK_AGAIN_AFTER = java.time.Duration.ofSeconds(20);
    /** The least margin left and right of the text, in px. */
    static final double MIN_MARGIN = 28;
    /** Above and below the text, in px. */
    static final double VERTICAL_MARGIN = 18;

    static final KeyCombination ZOOM_IN = new KeyCodeCombination(KeyCode.EQUALS, KeyCombination.SHORTCUT_DOWN);
    static final KeyCombination ZOOM_OUT = new KeyCodeCombination(KeyCode.MINUS, KeyCombination.SHORTCUT_DOWN);
    static final KeyCombination ZOOM_RESET = new KeyCodeCombination(KeyCode.DIGIT0, KeyCombination.SHORTCUT_DOWN);

    private static final Look INSTANCE = new Look();

    private final ObjectProperty<ThemeChoice> theme = new SimpleObjectProperty<>(ThemeChoice.SYSTEM);
    private final BooleanProperty systemDark = new SimpleBooleanProperty(false);
    private final BooleanBinding dark = Bindings.createBooleanBinding(
            () -> theme.get() == ThemeChoice.DARK || theme.get() == ThemeChoice.SYSTEM && systemDark.get(), theme, systemDark);
    private final IntegerProperty zoom = new SimpleIntegerProperty(100);
    private Consumer<Look> onChange = look -> { };
    private BooleanSupplier systemProbe = SystemTheme::prefersDark;
    private final Executor probeThread = task -> {
        Thread t = new Thread(task, "tandem-theme-probe");
        t.setDaemon(true);
        t.start();
    };
    private Boolean appliedDark; // what the user-agent stylesheet is now; null before the first window
    private boolean probing;     // a probe is running
    private long lastAsked;      // System.nanoTime() of the last probe; 0: never
    private java.time.Duration askAgainAfter = ASK_AGAIN_AFTER;

    private Look() {
        dark.addListener((obs, was, now) -> applyTheme());
    }

    /** The process's look. */
    static Look get() {
        return INSTANCE;
    }

    /**
     * Sets what the settings say and what the system was found to prefer, without telling
     * {@code onChange}, which hears of every later change the user makes (to save it).
     */
    void configure(ThemeChoice choice, int zoomPercent, boolean systemPrefersDark, Consumer<Look> onChange) {
        this.onChange = look -> { };
        systemDark.set(systemPrefersDark);
        lastAsked = System.nanoTime(); // just asked (at start-up)
        theme.set(choice == null ? ThemeChoice.SYSTEM : choice);
        zoom.set(nearestZoom(zoomPercent));
        applyTheme();
        this.onChange = onChange == null ? look -> { } : onChange;
    }

    /** How "System" finds the system's setting (tests replace the real probe). Blocking; runs off the FX thread. */
    void setSystemProbe(BooleanSupplier probe) {
        systemProbe = probe;
    }

    /** How often focusing a window may ask the system again; tests shorten it. */
    void setAskAgainAfter(java.time.Duration d) {
        askAgainAfter = d;
    }

    ThemeChoice theme() {
        return theme.get();
    }

    /** Whether the dark theme is showing. */
    boolean isDark() {
        return dark.get();
    }

    int zoom() {
        return zoom.get();
    }

    ReadOnlyIntegerProperty zoomProperty() {
        return zoom;
    }

    /** The editor's font size at the current zoom, in px. */
    double editorFontSize() {
        return EDITOR_FONT_PX * zoom.get() / 100.0;
    }

    /**
     * Switches the theme in every window. "System" asks the system again (off the FX thread) and
     * follows its answer when it comes.
     */
    void setTheme(ThemeChoice choice) {
        if (choice == ThemeChoice.SYSTEM) askTheSystem();
        if (theme.get() == choice) return;
        theme.set(choice);
        onChange.accept(this);
    }

    /**
     * While the theme is the system's: asks the system again when one of Tandem's windows comes to
     * the front (someone who switched their desktop to dark and comes back sees Tandem follow), at
     * most once per {@link #ASK_AGAIN_AFTER}: each asking starts a process.
     */
    void windowFocused() {
        if (theme.get() != ThemeChoice.SYSTEM || probing) return;
        long now = System.nanoTime();
        if (lastAsked != 0 && now - lastAsked < askAgainAfter.toNanos()) return;
        askTheSystem();
    }

    /** Runs the probe off the FX thread; its answer is applied on the FX thread. */
    private void askTheSystem() {
        BooleanSupplier probe = systemProbe;
        probing = true;
        lastAsked = System.nanoTime();
        CompletableFuture.supplyAsync(probe::getAsBoolean, probeThread)
                .exceptionally(e -> false)
                .thenAcceptAsync(d -> {
                    probing = false;
                    systemDark.set(d);
                }, FxThread.EXECUTOR);
    }

    void zoomIn() {
        setZoom(stepFrom(zoom.get(), +1));
    }

    void zoomOut() {
        setZoom(stepFrom(zoom.get(), -1));
    }

    void resetZoom() {
        setZoom(100);
    }

    void setZoom(int percent) {
        int z = nearestZoom(percent);
        if (z == zoom.get()) return;
        zoom.set(z);
        onChange.accept(this);
    }

    /** The step of {@link #ZOOM_STEPS} nearest {@code percent}. */
    static int nearestZoom(int percent) {
        int best = 100;
        for (int s : ZOOM_STEPS) if (Math.abs(s - percent) < Math.abs(best - percent)) best = s;
        return best;
    }

    /** The next step up ({@code direction} +1) or down (-1) from {@code percent}; the end stays where it is. */
    static int stepFrom(int percent, int direction) {
        int i = ZOOM_STEPS.indexOf(nearestZoom(percent));
        return ZOOM_STEPS.get(Math.max(0, Math.min(ZOOM_STEPS.size() - 1, i + direction)));
    }

    // ---- windows

    /**
     * Dresses a new window's scene: the theme (set now if no window had one yet), tandem.css, the
     * dark class, and the zoom keys (anywhere in the window: {@code Ctrl+=} or {@code Ctrl++},
     * {@code Ctrl+-}, {@code Ctrl+0}, numeric keypad too).
     */
    void install(Scene scene) {
        if (appliedDark == null) applyTheme();
        scene.getStylesheets().add(TandemApp.stylesheet());
        markDark(scene.getRoot());
        scene.rootProperty().addListener((obs, old, root) -> markDark(root));
        scene.windowProperty().addListener((obs, old, window) -> {
            if (window != null) window.focusedProperty().addListener((o, was, focused) -> {
                if (focused) windowFocused();
            });
        });
        scene.addEventFilter(KeyEvent.KEY_PRESSED, e -> {
            if (!e.isShortcutDown() || e.isAltDown()) return;
            switch (e.getCode()) {
                case EQUALS, PLUS, ADD -> zoomIn();
                case MINUS, SUBTRACT -> zoomOut();
                case DIGIT0, NUMPAD0 -> {
                    if (e.isShiftDown()) return;
                    resetZoom();
                }
                default -> { return; }
            }
            e.consume();
        });
    }

    private void applyTheme() {
        boolean d = dark.get();
        if (appliedDark == null || appliedDark != d) {
            Application.setUserAgentStylesheet(d ? new PrimerDark().getUserAgentStylesheet() : new PrimerLight().getUserAgentStylesheet());
            appliedDark = d;
        }
        for (Window w : Window.getWindows()) {
            if (w.getScene() != null) markDark(w.getScene().getRoot());
        }
    }

    private void markDark(Parent root) {
        if (root == null) return;
        root.getStyleClass().remove(DARK_CLASS);
        if (dark.get()) root.getStyleClass().add(DARK_CLASS);
    }

    // ---- the editor

    /**
     * Sizes {@code area}'s text by the zoom and keeps its text column centred and at most
     * {@link #COLUMN_EM} wide. Call {@link Editor#dispose} when the window goes: this object
     * outlives it.
     */
    Editor attach(StyleClassedTextArea area) {
        return new Editor(area);
    }

    /** One editor's font size and margins, following the zoom and its width; and its window's View menu items. */
    final class Editor {
        private final StyleClassedTextArea area;
        private final InvalidationListener onZoom = o -> applyZoom();
        private final InvalidationListener onWidth = o -> fitColumn();
        private final List<Runnable> disposers = new ArrayList<>();

        private Editor(StyleClassedTextArea area) {
            this.area = area;
            zoom.addListener(onZoom);
            area.widthProperty().addListener(onWidth);
            applyZoom();
        }

        private void applyZoom() {
            // Inline: wins over tandem.css's size for the editor; everything inside is in em.
            area.setStyle(String.format(Locale.ROOT, "-fx-font-size: %.2fpx;", editorFontSize()));
            fitColumn();
        }

        /** Margins that centre a column of at most COLUMN_EM em; never less than MIN_MARGIN. */
        private void fitColumn() {
            double column = COLUMN_EM * editorFontSize();
            double side = Math.max(MIN_MARGIN, Math.floor((area.getWidth() - column) / 2));
            Insets now = area.getPadding();
            if (now == null || now.getLeft() != side || now.getTop() != VERTICAL_MARGIN) {
                area.setPadding(new Insets(VERTICAL_MARGIN, side, VERTICAL_MARGIN, side));
            }
        }

        /** View > Theme (System, Light, Dark), and the zoom entries; the reset entry names the zoom when it is not 100 %. */
        List<MenuItem> viewMenuItems() {
            ToggleGroup group = new ToggleGroup();
            Menu themeMenu = new Menu("_Theme");
            themeMenu.setId("menu-theme");
            for (ThemeChoice c : ThemeChoice.values()) {
                RadioMenuItem item = new RadioMenuItem(switch (c) {
                    case SYSTEM -> "Same as the system";
                    case LIGHT -> "Light";
                    case DARK -> "Dark";
                });
                item.setId("menu-theme-" + c.key());
                item.setToggleGroup(group);
                item.setSelected(theme.get() == c);
                item.setOnAction(e -> setTheme(c));
                themeMenu.getItems().add(item);
            }
            InvalidationListener onTheme = o -> group.getToggles().forEach(t ->
                    t.setSelected(((RadioMenuItem) t).getId().equals("menu-theme-" + theme.get().key())));
            theme.addListener(onTheme);
            disposers.add(() -> theme.removeListener(onTheme));

            MenuItem in = new MenuItem("Zoom in");
            in.setId("menu-zoom-in");
            in.setAccelerator(ZOOM_IN);
            in.setOnAction(e -> zoomIn());
            MenuItem out = new MenuItem("Zoom out");
            out.setId("menu-zoom-out");
            out.setAccelerator(ZOOM_OUT);
            out.setOnAction(e -> zoomOut());
            MenuItem reset = new MenuItem();
            reset.setId("menu-zoom-reset");
            reset.setAccelerator(ZOOM_RESET);
            reset.setOnAction(e -> resetZoom());
            InvalidationListener label = o -> {
                reset.setText(zoom.get() == 100 ? "Actual size" : "Actual size (now " + zoom.get() + " %)");
                in.setDisable(zoom.get() == ZOOM_STEPS.get(ZOOM_STEPS.size() - 1));
                out.setDisable(zoom.get() == ZOOM_STEPS.get(0));
            };
            label.invalidated(zoom);
            zoom.addListener(label);
            disposers.add(() -> zoom.removeListener(label));
            return List.of(themeMenu, new javafx.scene.control.SeparatorMenuItem(), in, out, reset);
        }

        void dispose() {
            zoom.removeListener(onZoom);
            area.widthProperty().removeListener(onWidth);
            disposers.forEach(Runnable::run);
            disposers.clear();
        }
    }
}
