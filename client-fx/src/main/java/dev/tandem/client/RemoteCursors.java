package dev.tandem.client;

import dev.tandem.crdt.Anchor;
import dev.tandem.crdt.Doc;
import javafx.animation.PauseTransition;
import javafx.application.Platform;
import javafx.geometry.Bounds;
import javafx.geometry.Point2D;
import javafx.scene.Scene;
import javafx.scene.control.Label;
import javafx.scene.input.MouseEvent;
import javafx.scene.layout.Pane;
import javafx.scene.paint.Color;
import javafx.scene.shape.Rectangle;
import javafx.util.Duration;
import org.fxmisc.richtext.Caret;
import org.fxmisc.richtext.CaretNode;
import org.fxmisc.richtext.GenericStyledArea;
import org.fxmisc.richtext.Selection;
import org.fxmisc.richtext.SelectionImpl;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Other people's cursors and selections, drawn in their colours, with a small name label. Their
 * positions arrive as CRDT anchors, so they are re-resolved against the local replica after every
 * change and stay on the right characters whoever edits.
 *
 * <p><b>Labels.</b> A label sits just right of its caret, top-aligned with it and no taller than
 * the line, so it never covers the line above or below. It shows while its owner is active (their
 * cursor moved or they typed in the last {@link #LABEL_FOR}), while your mouse is over their caret,
 * and after you click them in the sidebar: like Google Docs, so an idle collaborator's name does not
 * sit on the text you are reading. Labels are placed once per frame, after the layout pass, from
 * where the caret is drawn then: they follow scrolling, resizing, re-wrapping and edits, and placing
 * them never forces a layout of its own (asking a caret for its bounds between two frames lays out
 * the whole editor; doing that on every keystroke made typing lag).
 *
 * <p>Names and colours come from the network: they are cleaned ({@link DisplayNames},
 * {@link UserColors#safe}) before anything is drawn or styled with them.
 *
 * <p>Threading: FX thread only.
 */
final class RemoteCursors {
    /** A remote peer's cursor; {@code selectionAnchor} equal to {@code cursor} (or null) means no selection. */
    record Cursor(String id, String name, String color, Anchor cursor, Anchor selectionAnchor) {}

    /** How long a name label stays after its owner last moved or typed. */
    static final Duration LABEL_FOR = Duration.seconds(3);
    private Duration labelFor = LABEL_FOR;
    private static final double HOVER_SLOP = 4; // px either side of a caret that count as "over" it

    private final class Entry {
        final CaretNode caret;
        final Selection<?, String, ?> selection;
        final Label label = new Label();
        final String color;                 // cleaned
        final PauseTransition labelTimer = new PauseTransition();
        Cursor cursor;
        boolean recent;                     // moved, typed or was revealed within LABEL_FOR
        boolean hovered;                    // your mouse is over the caret

        Entry(String id, String color) {
            this.color = color;
            caret = new CaretNode("remote-caret-" + id, area, 0);
            caret.getStyleClass().add("remote-caret");
            // Inline styles: they win over the area's stylesheet, which colours its own caret.
            caret.setStyle("-fx-stroke: " + color + "; -fx-stroke-width: 2; -rtfx-blink-rate: 100000s;");
            caret.setShowCaret(Caret.CaretVisibility.ON);
            Color c = UserColors.toColor(color);
            label.setStyle("-fx-background-color: " + color + "; -fx-text-fill: "
                    + (c.getBrightness() > 0.8 && c.getSaturation() < 0.3 ? "black" : "white") + ";");
            label.getStyleClass().add("remote-cursor-label");
            label.setManaged(false);
            label.setMouseTransparent(true);
            label.setVisible(false);
            selection = newSelection(id, c);
            area.addCaret(caret);
            area.addSelection(cast(selection));
            overlay.getChildren().add(label);
            labelTimer.setOnFinished(e -> {
                recent = false;
                Platform.requestNextPulse(); // the next frame's placement hides it
            });
        }

        /** Puts the caret and selection where the anchors resolve now. */
        void show(Cursor c) {
            cursor = c;
            label.setText(DisplayNames.clean(c.name()));
            int pos = resolve(c.cursor());
            int other = c.selectionAnchor() == null ? pos : resolve(c.selectionAnchor());
            caret.moveTo(pos);
            selection.selectRange(Math.min(pos, other), Math.max(pos, other));
        }

        void showLabelForAWhile() {
            recent = true;
            labelTimer.setDuration(labelFor);
            labelTimer.playFromStart();
        }

        void dispose() {
            labelTimer.stop();
            area.removeCaret(caret);
            area.removeSelection(cast(selection));
            caret.dispose();
            selection.dispose();
            overlay.getChildren().remove(label);
        }
    }

    private final GenericStyledArea<?, String, ?> area;
    private final Doc doc;
    private final Pane overlay; // sits over the area, same bounds; holds the name labels
    private final Map<String, Entry> entries = new HashMap<>();
    private final Runnable placeLabels = this::placeLabels;
    private Scene scene; // the scene whose pulses place the labels

    RemoteCursors(GenericStyledArea<?, String, ?> area, Doc doc, Pane overlay) {
        this.area = area;
        this.doc = doc;
        this.overlay = overlay;
        overlay.setMouseTransparent(true);
        overlay.setPickOnBounds(false);
        Rectangle clip = new Rectangle(); // a label at the bottom edge must not spill over the status bar
        clip.widthProperty().bind(overlay.widthProperty());
        clip.heightProperty().bind(overlay.heightProperty());
        overlay.setClip(clip);
        area.sceneProperty().addListener((obs, old, now) -> attachTo(now));
        attachTo(area.getScene());
        area.addEventFilter(MouseEvent.MOUSE_MOVED, e -> hover(e.getScreenX(), e.getScreenY()));
        area.addEventFilter(MouseEvent.MOUSE_EXITED, e -> hover(Double.NaN, Double.NaN));
    }

    private void attachTo(Scene now) {
        if (scene != null) scene.removePostLayoutPulseListener(placeLabels);
        scene = now;
        if (scene != null) scene.addPostLayoutPulseListener(placeLabels);
    }

    /** Shows exactly these cursors (everyone but you). */
    void update(List<Cursor> cursors) {
        Set<String> seen = new HashSet<>();
        for (Cursor c : cursors) {
            seen.add(c.id());
            String color = UserColors.safe(c.color());
            Entry e = entries.get(c.id());
            if (e != null && !e.color.equals(color)) {
                e.dispose(); // a new colour: redraw from scratch
                entries.remove(c.id());
                e = null;
            }
            boolean moved = e == null || !Objects.equals(e.cursor.cursor(), c.cursor())
                    || !Objects.equals(e.cursor.selectionAnchor(), c.selectionAnchor());
            if (e == null) {
                e = new Entry(c.id(), color);
                entries.put(c.id(), e);
            }
            e.show(c);
            if (moved) e.showLabelForAWhile();
        }
        entries.entrySet().removeIf(en -> {
            if (seen.contains(en.getKey())) return false;
            en.getValue().dispose();
            return true;
        });
    }

    /** Re-resolves every anchor; call after each change to the replica. */
    void refresh() {
        for (Entry e : entries.values()) e.show(e.cursor);
    }

    /** Shows a peer's name label for a while (after you clicked them in the sidebar). */
    void reveal(String id) {
        Entry e = entries.get(id);
        if (e != null) {
            e.showLabelForAWhile();
            Platform.requestNextPulse();
        }
    }

    /** Where a peer's cursor is now, if they are shown. */
    OptionalInt positionOf(String id) {
        Entry e = entries.get(id);
        return e == null ? OptionalInt.empty() : OptionalInt.of(e.caret.getPosition());
    }

    /** Where a peer's caret is drawn, in screen coordinates; empty when its paragraph is not on screen. */
    Optional<Bounds> caretBoundsOnScreen(String id) {
        Entry e = entries.get(id);
        return e == null ? Optional.empty() : area.getCaretBoundsOnScreen(e.caret);
    }

    /** How long labels stay after activity; tests lengthen it so what they check does not depend on their speed. */
    void setLabelDuration(Duration d) {
        labelFor = d;
    }

    int count() {
        return entries.size();
    }

    /** The label text shown for a peer (for tests and accessibility). */
    Optional<String> labelOf(String id) {
        Entry e = entries.get(id);
        return e == null ? Optional.empty() : Optional.of(e.label.getText());
    }

    /** The name label drawn for a peer (tests look at it). */
    Optional<Label> labelNode(String id) {
        Entry e = entries.get(id);
        return e == null ? Optional.empty() : Optional.of(e.label);
    }

    void dispose() {
        attachTo(null);
        entries.values().forEach(Entry::dispose);
        entries.clear();
    }

    /** After each layout pass: every label next to where its caret is drawn now, or hidden. */
    private void placeLabels() {
        for (Entry e : entries.values()) placeLabel(e);
    }

    /** Places the label even while it is hidden, so it is in the right place the moment it shows. */
    private void placeLabel(Entry e) {
        Optional<Bounds> onScreen = area.getCaretBoundsOnScreen(e.caret);
        Bounds viewport = area.localToScreen(area.getLayoutBounds());
        if (onScreen.isEmpty() || viewport == null || !viewport.intersects(onScreen.get())) {
            e.label.setVisible(false);
            return;
        }
        Bounds caret = overlay.screenToLocal(onScreen.get());
        if (caret == null) {
            e.label.setVisible(false);
            return;
        }
        e.label.autosize(); // unmanaged: nobody else sizes it
        double w = e.label.getWidth();
        double x = caret.getMaxX() + 1;
        if (x + w > overlay.getWidth()) x = Math.max(0, caret.getMinX() - 1 - w); // no room on the right: left of the caret
        double y = Math.max(0, caret.getMinY());
        e.label.relocate(Math.round(x), Math.round(y));
        e.label.setVisible(e.recent || e.hovered);
    }

    /** Shows the label of a caret the mouse is over; NaN: the mouse left the editor. */
    private void hover(double screenX, double screenY) {
        for (Entry e : entries.values()) {
            boolean over = false;
            if (!Double.isNaN(screenX)) {
                Optional<Bounds> b = area.getCaretBoundsOnScreen(e.caret);
                over = b.isPresent() && screenY >= b.get().getMinY() && screenY <= b.get().getMaxY()
                        && Math.abs(screenX - b.get().getMinX()) <= HOVER_SLOP;
            }
            if (over != e.hovered) {
                e.hovered = over;
                Platform.requestNextPulse();
            }
        }
    }

    private Selection<?, String, ?> newSelection(String id, Color c) {
        return new SelectionImpl<>("remote-selection-" + id, cast(area), path -> {
            path.setHighlightFill(Color.color(c.getRed(), c.getGreen(), c.getBlue(), 0.25));
            path.setStrokeWidth(0);
            path.getStyleClass().add("remote-selection");
        });
    }

    /** An anchor's position now; one whose character has not arrived yet (or is unknown) counts as the start. */
    private int resolve(Anchor anchor) {
        int pos = anchor == null ? 0 : doc.resolve(anchor);
        return Math.max(0, Math.min(pos, area.getLength()));
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static <T> T cast(Object o) {
        return (T) o;
    }
}
