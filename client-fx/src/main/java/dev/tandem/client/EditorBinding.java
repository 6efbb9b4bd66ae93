package dev.tandem.client;

import dev.tandem.crdt.Anchor;
import dev.tandem.crdt.Bias;
import dev.tandem.crdt.Change;
import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Update;
import javafx.application.Platform;
import javafx.scene.control.IndexRange;
import org.fxmisc.richtext.GenericStyledArea;
import org.fxmisc.richtext.model.PlainTextChange;
import org.fxmisc.richtext.util.UndoUtils;
import org.reactfx.Subscription;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Keeps a RichTextFX area and the UI's own CRDT replica equal, in both directions.
 *
 * <ul>
 *   <li>Local edits (typing, paste, cut, delete) become {@link Doc#delete}/{@link Doc#insert} on
 *       the replica at once; each resulting {@link Update} goes to the outbox (the sync layer).</li>
 *   <li>Remote updates go through {@link Doc#apply}; the area is patched with exactly the returned
 *       {@link Change}s (never reset), under a flag so the patch is not sent back, and the local
 *       caret and selection are put back on the same characters through CRDT anchors.</li>
 * </ul>
 *
 * <p>RichTextFX's own undo is switched off: it would undo other people's typing. Ctrl+Z comes back
 * with per-user undo.
 *
 * <p>Threading: everything here is owned by the FX thread, including the {@code Doc}.
 */
final class EditorBinding {
    /**
     * RichTextFX treats "\r", "\n" and "\r\n" all as one line break, which would make the area and
     * the replica disagree about lengths. A '\r' another client sent is shown as this one-char glyph
     * instead, so positions in the area and the replica always match. Exports use the real text.
     */
    static final char CR_GLYPH = '\u240D';

    private final GenericStyledArea<?, String, ?> area; // FX thread
    private final Doc doc;                              // FX thread
    private final Consumer<Update> outbox;              // called on the FX thread
    private final List<Runnable> docListeners = new ArrayList<>();
    private final List<Runnable> localEditListeners = new ArrayList<>();
    private final Subscription subscription;
    private boolean applyingRemote;                     // FX thread; true while patching the area
    private boolean docListenersQueued;                 // FX thread

    EditorBinding(GenericStyledArea<?, String, ?> area, Doc doc, Consumer<Update> outbox) {
        this.area = area;
        this.doc = doc;
        this.outbox = outbox;
        area.setUndoManager(UndoUtils.noOpUndoManager());
        applyingRemote = true;
        try {
            area.replaceText(forDisplay(doc.text()));
        } finally {
            applyingRemote = false;
        }
        area.moveTo(0);
        subscription = area.plainTextChanges().subscribe(this::onAreaChange);
    }

    Doc doc() {
        return doc;
    }

    /** Called (FX thread) after every change to the replica, local or remote (soon after a local one). */
    void addDocListener(Runnable listener) {
        docListeners.add(listener);
    }

    /** Called (FX thread) after every local edit: the typing indicator. */
    void addLocalEditListener(Runnable listener) {
        localEditListeners.add(listener);
    }

    private void onAreaChange(PlainTextChange change) {
        if (applyingRemote) return;
        int pos = change.getPosition();
        String removed = change.getRemoved();
        String inserted = change.getInserted();
        if (!removed.isEmpty()) outbox.accept(doc.delete(pos, removed.length()));
        if (!inserted.isEmpty()) outbox.accept(doc.insert(pos, inserted));
        checkInSync();
        localEditListeners.forEach(Runnable::run);
        // Not now: the area is still telling its other listeners about this change, and RichTextFX's
        // extra carets and selections shift themselves by it after we return. Moving them now
        // would shift them twice (and out of bounds).
        if (!docListenersQueued) {
            docListenersQueued = true;
            Platform.runLater(() -> {
                docListenersQueued = false;
                docListeners.forEach(Runnable::run);
            });
        }
    }

    /** Applies updates from others (FX thread). Returns the number of changes the area received. */
    int applyRemote(List<Update> updates) {
        IndexRange sel = area.getSelection();
        int caret = area.getCaretPosition();
        int anchorPos = caret == sel.getStart() ? sel.getEnd() : sel.getStart();
        Anchor caretAnchor = doc.anchor(caret, biasOf(caret, sel));
        Anchor selectionAnchor = doc.anchor(anchorPos, biasOf(anchorPos, sel));
        int patched = 0;
        applyingRemote = true;
        try {
            for (Update update : updates) {
                for (Change c : doc.apply(update)) {
                    area.replaceText(c.index(), c.index() + c.deleted(), forDisplay(c.inserted()));
                    patched++;
                }
            }
        } finally {
            applyingRemote = false;
        }
        if (patched > 0) {
            int newCaret = doc.resolve(caretAnchor);
            int newAnchor = doc.resolve(selectionAnchor);
            // A selection whose every character was deleted collapses to where it was.
            if (sel.getLength() > 0 && (newAnchor < newCaret) != (anchorPos < caret)) newAnchor = newCaret;
            area.selectRange(newAnchor, newCaret);
            checkInSync();
            docListeners.forEach(Runnable::run);
        }
        return patched;
    }

    /**
     * The bias that keeps a position on "its" characters: a caret sticks to the character before
     * it (your next keystroke continues your word, even if someone types at the same spot); a
     * selection's ends stick to the selected characters, so it neither grows nor shrinks when
     * others type at its edges.
     */
    static Bias biasOf(int pos, IndexRange selection) {
        if (selection.getLength() > 0 && pos == selection.getStart()) return Bias.RIGHT;
        return Bias.LEFT;
    }

    /** Anchors for the local cursor and the other end of the selection, for presence. */
    Anchor[] presenceAnchors() {
        IndexRange sel = area.getSelection();
        int caret = area.getCaretPosition();
        int other = caret == sel.getStart() ? sel.getEnd() : sel.getStart();
        return new Anchor[] {doc.anchor(caret, biasOf(caret, sel)), doc.anchor(other, biasOf(other, sel))};
    }

    private void checkInSync() {
        if (area.getLength() != doc.length()) {
            // Should never happen; if it does, the area is rebuilt from the replica (which is what
            // everyone converges on) rather than silently drifting.
            System.err.println("tandem: editor out of sync with replica (" + area.getLength() + " vs " + doc.length() + "), reloading");
            int caret = Math.min(area.getCaretPosition(), doc.length());
            applyingRemote = true;
            try {
                area.replaceText(forDisplay(doc.text()));
            } finally {
                applyingRemote = false;
            }
            area.moveTo(caret);
        }
    }

    static String forDisplay(String text) {
        return text.indexOf('\r') < 0 ? text : text.replace('\r', CR_GLYPH);
    }

    void dispose() {
        subscription.unsubscribe();
    }
}
