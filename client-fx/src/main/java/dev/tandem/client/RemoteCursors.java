package dev.tandem.client;

import dev.tandem.crdt.Anchor;
import dev.tandem.crdt.Doc;
import javafx.geometry.Bounds;
import javafx.geometry.Point2D;
import javafx.scene.control.Label;
import javafx.scene.layout.Pane;
import javafx.scene.paint.Color;
import org.fxmisc.richtext.Caret;
import org.fxmisc.richtext.CaretNode;
import org.fxmisc.richtext.GenericStyledArea;
import org.fxmisc.richtext.Selection;
import org.fxmisc.richtext.SelectionImpl;
import org.reactfx.Subscription;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Other people's cursors and selections, drawn in their colours with a small name label. Their
 * positions arrive as CRDT anchors, so they are re-resolved against the local replica after every
 * change and stay on the right characters whoever edits.
 *
 * <p>Threading: FX thread only.
 */
final class RemoteCursors {
    /** A remote peer's cursor; {@code selectionAnchor} equal to {@code cursor} (or null) means no selection. */
    record Cursor(String id, String name, String color, Anchor cursor, Anchor selectionAnchor) {}

    private final class Entry {
        final CaretNode caret;
        final Selection<?, String, ?> selection;
        final Label label = new Label();
        Cursor cursor;
        final Subscription boundsSub;

        Entry(Cursor c) {
            cursor = c;
            caret = new CaretNode("remote-caret-" + c.id(), area, 0);
            caret.getStyleClass().add("remote-caret");
            // Inline styles: they win over the area's stylesheet, which colours its own caret.
            caret.setStyle("-fx-stroke: " + c.color() + "; -fx-stroke-width: 2; -rtfx-blink-rate: 100000s;");
            Color color = Color.web(c.color());
            label.setStyle("-fx-background-color: " + c.color() + "; -fx-text-fill: "
                    + (color.getBrightness() > 0.8 && color.getSaturation() < 0.3 ? "black" : "white") + ";");
            caret.setShowCaret(Caret.CaretVisibility.ON);
            selection = newSelection(c.id(), c.color());
            area.addCaret(caret);
            area.addSelection(cast(selection));
            label.getStyleClass().add("remote-cursor-label");
            label.setManaged(false);
            label.setMouseTransparent(true);
            overlay.getChildren().add(label);
            boundsSub = Subscription.multi(
                    org.reactfx.EventStreams.changesOf(caret.caretBoundsProperty()).subscribe(ch -> placeLabel(this)),
                    org.reactfx.EventStreams.changesOf(label.heightProperty()).subscribe(ch -> placeLabel(this)));
        }

        void show(Cursor c) {
            cursor = c;
            label.setText(c.name());
            int pos = clamp(doc.resolve(c.cursor()));
            int other = c.selectionAnchor() == null ? pos : clamp(doc.resolve(c.selectionAnchor()));
            caret.moveTo(pos);
            selection.selectRange(Math.min(pos, other), Math.max(pos, other));
            placeLabel(this);
        }

        void dispose() {
            boundsSub.unsubscribe();
            area.removeCaret(caret);
            area.removeSelection(cast(selection));
            caret.dispose();
            selection.dispose();
            overlay.getChildren().remove(label);
        }
    }

    private final GenericStyledArea<?, String, ?> area;
    private final Doc doc;
    private final Pane overlay; // sits over the area; holds the name labels
    private final Map<String, Entry> entries = new HashMap<>();

    RemoteCursors(GenericStyledArea<?, String, ?> area, Doc doc, Pane overlay) {
        this.area = area;
        this.doc = doc;
        this.overlay = overlay;
        overlay.setMouseTransparent(true);
        overlay.setPickOnBounds(false);
        area.viewportDirtyEvents().subscribe(x -> entries.values().forEach(this::placeLabel));
    }

    /** Shows exactly these cursors (everyone but you). */
    void update(List<Cursor> cursors) {
        Set<String> seen = new HashSet<>();
        for (Cursor c : cursors) {
            seen.add(c.id());
            Entry e = entries.get(c.id());
            if (e != null && !e.cursor.color().equals(c.color())) {
                e.dispose(); // a new colour: redraw from scratch
                e = null;
            }
            if (e == null) {
                e = new Entry(c);
                entries.put(c.id(), e);
            }
            e.show(c);
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

    /** Where a peer's cursor is now, if they are shown. */
    OptionalInt positionOf(String id) {
        Entry e = entries.get(id);
        return e == null ? OptionalInt.empty() : OptionalInt.of(e.caret.getPosition());
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

    private void placeLabel(Entry e) {
        Optional<Bounds> b = e.caret.getCaretBounds();
        if (b.isEmpty()) {
            e.label.setVisible(false);
            return;
        }
        Point2D p = overlay.screenToLocal(b.get().getMinX(), b.get().getMinY());
        if (p == null) {
            e.label.setVisible(false);
            return;
        }
        e.label.applyCss(); // unmanaged: nobody else sizes it
        e.label.autosize();
        double y = p.getY() - e.label.getHeight();
        if (y < 0) y = p.getY() + b.get().getHeight(); // no room above the first line: show it below
        e.label.relocate(Math.max(0, p.getX() - 1), y);
        e.label.setVisible(true);
    }

    private Selection<?, String, ?> newSelection(String id, String hex) {
        return new SelectionImpl<>("remote-selection-" + id, cast(area), path -> {
            Color c = Color.web(hex);
            path.setHighlightFill(Color.color(c.getRed(), c.getGreen(), c.getBlue(), 0.25));
            path.setStrokeWidth(0);
            path.getStyleClass().add("remote-selection");
        });
    }

    private int clamp(int pos) {
        return Math.max(0, Math.min(pos, area.getLength()));
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static <T> T cast(Object o) {
        return (T) o;
    }
}
