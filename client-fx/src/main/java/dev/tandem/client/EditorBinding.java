package dev.tandem.client;

import dev.tandem.crdt.Anchor;
import dev.tandem.crdt.Bias;
import dev.tandem.crdt.Change;
import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Formats;
import dev.tandem.crdt.UndoManager;
import dev.tandem.crdt.Update;
import javafx.application.Platform;
import javafx.scene.control.IndexRange;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyEvent;
import javafx.scene.input.MouseEvent;
import org.fxmisc.richtext.StyleClassedTextArea;
import org.fxmisc.richtext.model.PlainTextChange;
import org.fxmisc.richtext.model.StyleSpans;
import org.fxmisc.richtext.model.StyledDocument;
import org.fxmisc.richtext.util.UndoUtils;
import org.reactfx.Subscription;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Keeps a RichTextFX area and the UI's own CRDT replica equal, in both directions, text and
 * formatting.
 *
 * <ul>
 *   <li>Local edits (typing, paste, cut, delete) go through the {@link UndoManager} to the replica
 *       at once; each resulting {@link Update} goes to the outbox (the sync layer). The typed text
 *       is then restyled from the replica: the crdt decides which marks it inherits.</li>
 *   <li>Remote updates go through {@link Doc#apply}; the area is patched with exactly the returned
 *       {@link Change}s (never reset), a restyle change restyles only its range, under a flag so
 *       the patch is not sent back, and the local caret and selection are put back on the same
 *       characters through CRDT anchors.</li>
 *   <li>Undo and redo are the crdt's: only this replica's own edits are taken back.</li>
 * </ul>
 *
 * <p>RichTextFX's own undo is switched off: it would undo other people's typing.
 *
 * <p>Threading: everything here is owned by the FX thread, including the {@code Doc} and its
 * undo manager.
 */
final class EditorBinding {
    /**
     * RichTextFX treats "\r", "\n" and "\r\n" all as one line break, which would make the area and
     * the replica disagree about lengths. A '\r' another client sent is shown as this one-char glyph
     * instead, so positions in the area and the replica always match. Exports use the real text.
     */
    static final char CR_GLYPH = '\u240D';

    private final StyleClassedTextArea area;            // FX thread
    private final Doc doc;                              // FX thread
    private final UndoManager undo;                     // FX thread
    private final Consumer<Update> outbox;              // called on the FX thread
    private final List<Runnable> docListeners = new ArrayList<>();
    private final List<Runnable> localEditListeners = new ArrayList<>();
    private final List<Runnable> undoListeners = new ArrayList<>();
    private final Subscription subscription;
    private boolean patching;                           // FX thread; true while the area is patched from the replica
    private boolean docListenersQueued;                 // FX thread
    private TextStyles.Highlights highlights = TextStyles.Highlights.NONE; // FX thread, in the area's positions
    private Tints tints = Tints.NONE;                   // FX thread, in the area's positions ("Show authors")
    // The selection just before the user's next edit (from the key or mouse event that makes it); -1: none known.
    private int selectionAnchor = -1;
    private int selectionCaret = -1;
    private boolean keyTyped;                           // FX thread; the change being made comes from a typed key
    private boolean enterPressed;                       // FX thread; the change being made comes from the Enter key

    EditorBinding(StyleClassedTextArea area, Doc doc, Consumer<Update> outbox) {
        this(area, doc, null, null, outbox);
    }

    /**
     * @param initial the area's content for {@code doc}, made by {@link TextStyles#document} off the
     *     FX thread; null to build it here
     * @param undo the undo manager of {@code doc} (reloaded with it), or null for a fresh one
     */
    EditorBinding(StyleClassedTextArea area, Doc doc, StyledDocument<Collection<String>, String, Collection<String>> initial,
                  UndoManager undo, Consumer<Update> outbox) {
        this.area = area;
        this.doc = doc;
        this.undo = undo != null ? undo : new UndoManager(doc);
        this.outbox = outbox;
        area.setUndoManager(UndoUtils.noOpUndoManager());
        patching = true;
        try {
            area.replace(0, area.getLength(), initial != null ? initial : TextStyles.document(doc));
        } finally {
            patching = false;
        }
        area.moveTo(0);
        area.setParagraphGraphicFactory(p -> listMarker(area, p));
        subscription = area.plainTextChanges().subscribe(this::onAreaChange);
        // Before the area handles a key or a click: the selection an edit starts from (undo puts it
        // back), and a caret moved by a click or an arrow ends the undo step being typed.
        area.addEventFilter(KeyEvent.KEY_PRESSED, e -> {
            rememberSelection();
            if (movesCaret(e.getCode())) this.undo.closeStep();
            // The area inserts a line break on the key press itself (no KEY_TYPED follows).
            enterPressed = e.getCode() == KeyCode.ENTER && !e.isShortcutDown() && !e.isAltDown();
        });
        area.addEventFilter(KeyEvent.KEY_TYPED, e -> {
            rememberSelection();
            keyTyped = true;
        });
        area.addEventFilter(MouseEvent.MOUSE_PRESSED, e -> this.undo.closeStep());
        area.addEventFilter(MouseEvent.MOUSE_RELEASED, e -> rememberSelection());
    }

    private static boolean movesCaret(KeyCode code) {
        return code.isArrowKey() || code.isNavigationKey();
    }

    /** Remembers the selection as the user's next edit starts from it (FX thread). */
    void rememberSelection() {
        selectionAnchor = area.getAnchor();
        selectionCaret = area.getCaretPosition();
    }

    private void useRememberedSelection() {
        if (selectionAnchor >= 0 && selectionAnchor <= doc.length() && selectionCaret <= doc.length()) {
            undo.select(selectionAnchor, selectionCaret);
        }
        selectionAnchor = selectionCaret = -1;
    }

    Doc doc() {
        return doc;
    }

    StyleClassedTextArea area() {
        return area;
    }

    UndoManager undoManager() {
        return undo;
    }

    /** Called (FX thread) after every change to the replica, local or remote (soon after a local one). */
    void addDocListener(Runnable listener) {
        docListeners.add(listener);
    }

    /** Called (FX thread) after every local edit: the typing indicator. */
    void addLocalEditListener(Runnable listener) {
        localEditListeners.add(listener);
    }

    /** Called (FX thread) whenever the undo stacks may have changed (a local edit, undo, redo). */
    void addUndoListener(Runnable listener) {
        undoListeners.add(listener);
    }

    private void onAreaChange(PlainTextChange change) {
        if (patching) return;
        int pos = change.getPosition();
        String removed = change.getRemoved();
        String inserted = change.getInserted();
        useRememberedSelection();
        boolean typedByKey = keyTyped;
        keyTyped = false;
        boolean enter = enterPressed;
        enterPressed = false;
        if (!removed.isEmpty()) outbox.accept(undo.delete(pos, removed.length()));
        // Enter splits a paragraph: the new break must end the first part with the paragraph's
        // attributes (they sit on the old break, or the document end, which now ends the second).
        Map<String, String> splitParagraph = enter && inserted.equals("\n") ? doc.paragraph(pos) : Map.of();
        // (The area holds the typed break already: what follows it is the rest of the paragraph.)
        boolean atParagraphEnd = !splitParagraph.isEmpty() && (pos + 1 >= area.getLength() || area.getText(pos + 1, pos + 2).equals("\n"));
        if (!inserted.isEmpty()) outbox.accept(undo.insert(pos, inserted));
        for (Map.Entry<String, String> e : splitParagraph.entrySet()) outbox.accept(undo.setParagraph(pos, e.getKey(), e.getValue()));
        String splitBlock = splitParagraph.get(Formats.BLOCK);
        if (atParagraphEnd && splitBlock != null && splitBlock.startsWith("h")) {
            // Enter at the end of a heading starts normal text (a list, quote or code block goes on).
            outbox.accept(undo.setParagraph(pos + 1, Formats.BLOCK, null));
        }
        // Text typed right after a markdown-made mark does not join it (the mark grows at its end).
        MarkEnd stop = stopMarkAt;
        stopMarkAt = null;
        if (stop != null && typedByKey && removed.isEmpty() && !inserted.isEmpty() && doc.resolve(stop.end()) == pos) {
            outbox.accept(undo.mark(pos, pos + inserted.length(), stop.key(), null));
        }
        highlights = highlights.shifted(pos, removed.length(), inserted.length());
        tints = tints.shifted(pos, removed.length(), inserted.length());
        if (checkInSync()) {
            // RichTextFX gave the typed text the style before it; the crdt decides (bold grows at
            // its end, a link does not). Only changes styles: positions, carets and selections stay.
            patching = true;
            try {
                restyleText(pos, pos + inserted.length());
                restyleParagraphs(pos, pos + inserted.length());
            } finally {
                patching = false;
            }
        }
        localEditListeners.forEach(Runnable::run);
        undoListeners.forEach(Runnable::run);
        queueDocListeners();
        if (typedByKey && inserted.length() == 1 && "* `".indexOf(inserted.charAt(0)) >= 0) {
            // After the area has finished this change: the shortcut edits the text again.
            Anchor typedChar = doc.anchor(pos, Bias.RIGHT);
            char c = inserted.charAt(0);
            Platform.runLater(() -> markdownShortcut(typedChar, c));
        }
    }

    private static final java.util.regex.Pattern BOLD_SHORTCUT = java.util.regex.Pattern.compile("\\*\\*([^*\\n]+)\\*\\*$");
    private static final java.util.regex.Pattern CODE_SHORTCUT = java.util.regex.Pattern.compile("`([^`\\n]+)`$");
    private static final Map<String, String> BLOCK_SHORTCUTS = Map.of("# ", "h1", "## ", "h2", "### ", "h3",
            "- ", "bullet", "* ", "bullet", "1. ", "numbered", "> ", "quote");

    /**
     * Markdown as you type: {@code "# "} and friends at the start of a paragraph set its block,
     * {@code **x**} makes x bold, {@code `x`} makes it code. The typed text is its own undo step
     * and the conversion another, so one Ctrl+Z brings back exactly what was typed.
     */
    private void markdownShortcut(Anchor typedChar, char c) {
        int pos = doc.resolve(typedChar);
        if (pos < 0 || pos >= doc.length() || area.getLength() != doc.length()) return;
        if (area.getText(pos, pos + 1).charAt(0) != c) return; // gone
        // On a busy machine the next keys can arrive before this runs: the shortcut still
        // applies (it is decided by the text up to the typed character), and the caret is
        // moved only if it is still right after that character.
        int caret = area.getCaretPosition();
        boolean caretThere = caret == pos + 1;
        int paragraph = area.offsetToPosition(pos, org.fxmisc.richtext.model.TwoDimensional.Bias.Forward).getMajor();
        int start = area.getAbsolutePosition(paragraph, 0);
        String before = area.getText(start, pos + 1);
        if (c == ' ') {
            String block = BLOCK_SHORTCUTS.get(before);
            if (block == null || doc.paragraph(start).containsKey(Formats.BLOCK)) return;
            undo.closeStep();
            area.deleteText(start, pos + 1);
            outbox.accept(undo.setParagraph(start, Formats.BLOCK, block));
            undo.closeStep();
            formatted(start, start);
            area.moveTo(caretThere ? start : caret > pos ? caret - (pos + 1 - start) : caret);
            return;
        }
        java.util.regex.Matcher m = (c == '*' ? BOLD_SHORTCUT : CODE_SHORTCUT).matcher(before);
        if (!m.find()) return;
        int delimiter = c == '*' ? 2 : 1;
        int open = start + m.start();
        int innerLength = m.group(1).length();
        undo.closeStep();
        area.deleteText(pos + 1 - delimiter, pos + 1);
        area.deleteText(open, open + delimiter);
        String key = c == '*' ? Formats.BOLD : Formats.CODE;
        outbox.accept(undo.mark(open, open + innerLength, key, "true"));
        undo.closeStep();
        formatted(open, open + innerLength);
        area.moveTo(caretThere ? open + innerLength : caret > pos ? caret - 2 * delimiter : caret);
        stopMarkAt = new MarkEnd(key, doc.anchor(open + innerLength, Bias.LEFT));
    }

    /** The end of a mark a markdown shortcut just made, where typing should not extend it. */
    private record MarkEnd(String key, Anchor end) {}

    private MarkEnd stopMarkAt; // FX thread

    private void queueDocListeners() {
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
        int caret = Math.max(0, Math.min(area.getCaretPosition(), doc.length()));
        int anchorPos = Math.max(0, Math.min(caret == sel.getStart() ? sel.getEnd() : sel.getStart(), doc.length()));
        Anchor caretAnchor = doc.anchor(caret, biasOf(caret, sel));
        Anchor selectionAnchor = doc.anchor(anchorPos, biasOf(anchorPos, sel));
        int patched = 0;
        patching = true;
        try {
            for (Update update : updates) {
                List<Change> changes = doc.apply(update);
                patch(changes);
                patched += changes.size();
            }
        } finally {
            patching = false;
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
     * Patches the area with the changes one {@link Doc#apply} returned: first the text, in order,
     * then the styles of every range that changed, read from the replica (which is already in its
     * final state, so restyling after each change would read styles for later text).
     */
    private void patch(List<Change> changes) {
        List<int[]> dirty = new ArrayList<>(); // [from, to) in the area's current positions
        for (Change c : changes) {
            if (c.isRestyle()) {
                dirty.add(new int[] {c.index(), c.index() + c.restyled()});
                continue;
            }
            int removed = c.deleted();
            int inserted = c.inserted().length();
            area.replaceText(c.index(), c.index() + removed, forDisplay(c.inserted()));
            highlights = highlights.shifted(c.index(), removed, inserted);
            tints = tints.shifted(c.index(), removed, inserted);
            for (int[] r : dirty) {
                r[0] = shift(r[0], c.index(), removed, inserted);
                r[1] = shift(r[1], c.index(), removed, inserted);
            }
            dirty.add(new int[] {c.index(), c.index() + inserted});
        }
        if (area.getLength() != doc.length()) return; // checkInSync rebuilds it all
        for (int[] r : dirty) {
            restyleText(r[0], r[1]);
            restyleParagraphs(r[0], r[1]);
        }
    }

    private static int shift(int p, int at, int removed, int inserted) {
        if (p <= at) return p;
        if (p >= at + removed) return p - removed + inserted;
        return at + inserted;
    }

    /** Sets the text styles of {@code from .. to-1} to the replica's marks (and find's highlights). */
    private void restyleText(int from, int to) {
        if (from >= to) return;
        StyleSpans<Collection<String>> wanted = tints.over(TextStyles.spans(doc, from, to, highlights), from, to);
        if (!wanted.equals(area.getStyleSpans(from, to))) area.setStyleSpans(from, wanted);
    }

    /** Sets the paragraph styles of the paragraphs that hold {@code from .. to} to the replica's. */
    private void restyleParagraphs(int from, int to) {
        int first = area.offsetToPosition(from, org.fxmisc.richtext.model.TwoDimensional.Bias.Forward).getMajor();
        int last = area.offsetToPosition(to, org.fxmisc.richtext.model.TwoDimensional.Bias.Forward).getMajor();
        boolean listChanged = false;
        for (int p = first; p <= last; p++) {
            Collection<String> wanted = TextStyles.paragraphClasses(doc.paragraph(area.getAbsolutePosition(p, 0)));
            Collection<String> had = area.getParagraph(p).getParagraphStyle();
            if (!List.copyOf(wanted).equals(List.copyOf(had))) {
                area.setParagraphStyle(p, wanted);
                listChanged = true;
            }
        }
        // A numbered paragraph's number depends on those before it: renumber the list that follows.
        if (listChanged || last > first) {
            for (int p = last + 1; p < area.getParagraphs().size(); p++) {
                String block = TextStyles.blockOf(area.getParagraph(p).getParagraphStyle());
                if (!"numbered".equals(block) && !"bullet".equals(block)) break;
                area.recreateParagraphGraphic(p);
            }
        }
    }

    /**
     * What stands left of paragraph {@code p}: a bullet or its number for a list item, indented by
     * its level; nothing for other paragraphs. Numbers count the items of the same level before
     * it (deeper items in between do not interrupt the count).
     */
    /**
     * The bullet or number of paragraph {@code p} of {@code area} when it is a list item, from its
     * paragraph style (as {@link TextStyles#paragraphClasses} set it); the live editor and the
     * history panel's read-only view both draw them so.
     */
    static javafx.scene.Node listMarker(org.fxmisc.richtext.StyleClassedTextArea area, int p) {
        if (p >= area.getParagraphs().size()) return null;
        Collection<String> style = area.getParagraph(p).getParagraphStyle();
        String block = TextStyles.blockOf(style);
        if (!isList(block)) return null;
        int level = TextStyles.indentOf(style);
        String text;
        if (block.equals("bullet")) {
            text = switch (level % 3) { case 0 -> "•"; case 1 -> "◦"; default -> "▪"; };
        } else {
            int n = 1;
            for (int q = p - 1, seen = 0; q >= 0 && seen < 10_000; q--, seen++) {
                Collection<String> before = area.getParagraph(q).getParagraphStyle();
                String b = TextStyles.blockOf(before);
                int l = TextStyles.indentOf(before);
                if (isList(b) && l > level) continue;
                if ("numbered".equals(b) && l == level) n++;
                else break;
            }
            text = n + ".";
        }
        javafx.scene.control.Label marker = new javafx.scene.control.Label(text);
        marker.getStyleClass().add("list-marker");
        // In em of the editor's font: the marker column grows with the zoom (Look), as the text does.
        double em = 1.6 * (1 + level);
        marker.setStyle("-fx-min-width: " + em + "em; -fx-pref-width: " + em + "em;"); // its padding: tandem.css
        return marker;
    }

    /** Restyles everything whose style differs from the replica's (after undo or redo, whose ranges are not reported). */
    private void restyleDifferences() {
        int length = area.getLength();
        if (length == 0) {
            if (area.getParagraphs().size() == 1) restyleParagraphs(0, 0);
            return;
        }
        restyleTextDifferences();
        for (int p = 0; p < area.getParagraphs().size(); p++) {
            Collection<String> want = TextStyles.paragraphClasses(doc.paragraph(area.getAbsolutePosition(p, 0)));
            if (!List.copyOf(want).equals(List.copyOf(area.getParagraph(p).getParagraphStyle()))) {
                restyleParagraphs(area.getAbsolutePosition(p, 0), area.getAbsolutePosition(p, 0));
            }
        }
    }

    /** Restyles the one range that holds every character whose text style differs from what it should be. */
    private void restyleTextDifferences() {
        int length = area.getLength();
        if (length == 0) return;
        StyleSpans<Collection<String>> wanted = tints.over(TextStyles.spans(doc, 0, length, highlights), 0, length);
        StyleSpans<Collection<String>> had = area.getStyleSpans(0, length);
        int first = -1, last = -1;
        Iterator<org.fxmisc.richtext.model.StyleSpan<Collection<String>>> w = wanted.iterator(), h = had.iterator();
        // Compare unit by unit through both span lists.
        var ws = w.hasNext() ? w.next() : null;
        var hs = h.hasNext() ? h.next() : null;
        int wLeft = ws == null ? 0 : ws.getLength(), hLeft = hs == null ? 0 : hs.getLength();
        int at = 0;
        while (ws != null && hs != null && at < length) {
            int step = Math.min(wLeft, hLeft);
            if (step > 0 && !List.copyOf(ws.getStyle()).equals(List.copyOf(hs.getStyle()))) {
                if (first < 0) first = at;
                last = at + step;
            }
            at += step;
            wLeft -= step;
            hLeft -= step;
            if (wLeft == 0) { ws = w.hasNext() ? w.next() : null; wLeft = ws == null ? 0 : ws.getLength(); }
            if (hLeft == 0) { hs = h.hasNext() ? h.next() : null; hLeft = hs == null ? 0 : hs.getLength(); }
        }
        if (first >= 0) restyleText(first, last);
    }

    // ---------------------------------------------------------------- undo and redo

    /** Takes back this user's last step (FX thread); false if there was none. */
    boolean undo() {
        if (readOnly()) return false;
        return revert(undo.undo());
    }

    /** Does the last undone step again (FX thread); false if there was none. */
    boolean redo() {
        if (readOnly()) return false;
        return revert(undo.redo());
    }

    private boolean revert(Optional<UndoManager.Result> result) {
        if (result.isEmpty()) return false;
        UndoManager.Result r = result.get();
        outbox.accept(r.update());
        showReplica(r.anchor(), r.caret());
        return true;
    }

    /**
     * Brings the area up to the replica after the replica was changed directly (undo, redo,
     * restore), which says where, not what: patches the one range where the texts differ, then
     * restyles what looks different, and selects {@code anchor .. caret}.
     */
    private void showReplica(int anchor, int caret) {
        String now = forDisplay(doc.text());
        String shown = area.getText();
        int prefix = 0;
        int max = Math.min(now.length(), shown.length());
        while (prefix < max && now.charAt(prefix) == shown.charAt(prefix)) prefix++;
        int suffix = 0;
        while (suffix < max - prefix && now.charAt(now.length() - 1 - suffix) == shown.charAt(shown.length() - 1 - suffix)) suffix++;
        patching = true;
        try {
            if (prefix < shown.length() - suffix || prefix < now.length() - suffix) {
                int removed = shown.length() - suffix - prefix;
                String inserted = now.substring(prefix, now.length() - suffix);
                area.replaceText(prefix, prefix + removed, inserted);
                highlights = highlights.shifted(prefix, removed, inserted.length());
                tints = tints.shifted(prefix, removed, inserted.length());
            }
            restyleDifferences();
        } finally {
            patching = false;
        }
        area.selectRange(Math.min(anchor, area.getLength()), Math.min(caret, area.getLength()));
        area.requestFollowCaret();
        undoListeners.forEach(Runnable::run);
        localEditListeners.forEach(Runnable::run);
        docListeners.forEach(Runnable::run);
    }

    // ---------------------------------------------------------------- history

    /**
     * Turns the text into what it was at {@code version} (formatting included), with ordinary
     * edits of this replica, as one undo step (FX thread). The edits undo exactly what happened
     * since: every character inserted after {@code version} is deleted, every character deleted
     * since is typed again at its place ({@link Doc#diff}), so people's later edits elsewhere are
     * not disturbed more than needed. Then the marks and paragraph attributes that differ from
     * then are set back. False if this window may not edit, or nothing differed.
     */
    boolean restore(dev.tandem.crdt.Version version) {
        if (readOnly()) return false;
        List<dev.tandem.crdt.Diff> since = doc.diff(version, doc.version());
        List<Doc.TextRun> runsThen = doc.runsAt(version);
        List<Map<String, String>> paragraphsThen = doc.paragraphsAt(version);
        int caret = area.getCaretPosition();
        undo.closeStep();
        rememberSelection();
        useRememberedSelection();
        int edits = 0;
        // Last to first: each change's index is in the text that still holds everything before it.
        for (int i = since.size() - 1; i >= 0; i--) {
            dev.tandem.crdt.Diff d = since.get(i);
            if (d.kind() == dev.tandem.crdt.Diff.Kind.INSERTED) outbox.accept(undo.delete(d.index(), d.text().length()));
            else outbox.accept(undo.insert(d.index(), d.text()));
            edits++;
        }
        edits += restoreMarks(runsThen);
        edits += restoreParagraphs(paragraphsThen);
        undo.closeStep();
        if (edits == 0) return false;
        showReplica(Math.min(caret, doc.length()), Math.min(caret, doc.length()));
        return true;
    }

    /** Sets every mark back to what {@code then} (runs of the same text) says; the number of edits made. */
    private int restoreMarks(List<Doc.TextRun> then) {
        int length = doc.length();
        if (length == 0) return 0;
        List<Doc.TextRun> now = doc.runs(0, length);
        java.util.Set<String> keys = new java.util.TreeSet<>();
        for (Doc.TextRun r : then) keys.addAll(r.marks().keySet());
        for (Doc.TextRun r : now) keys.addAll(r.marks().keySet());
        int edits = 0;
        for (String key : keys) {
            String[] wanted = valuesOf(then, key, length);
            String[] had = valuesOf(now, key, length);
            int i = 0;
            while (i < length) {
                if (Objects.equals(wanted[i], had[i])) {
                    i++;
                    continue;
                }
                int j = i + 1;
                while (j < length && !Objects.equals(wanted[j], had[j]) && Objects.equals(wanted[j], wanted[i])) j++;
                try {
                    outbox.accept(undo.mark(i, j, key, wanted[i]));
                    edits++;
                } catch (IllegalArgumentException refused) {
                    // A value today's schema refuses: the text comes back without it.
                }
                i = j;
            }
        }
        return edits;
    }

    private static String[] valuesOf(List<Doc.TextRun> runs, String key, int length) {
        String[] out = new String[length];
        int at = 0;
        for (Doc.TextRun r : runs) {
            String v = r.marks().get(key);
            int end = Math.min(length, at + r.text().length());
            if (v != null) java.util.Arrays.fill(out, at, end, v);
            at = end;
        }
        return out;
    }

    /** Sets every paragraph's attributes back to {@code then} (one map per paragraph); the number of edits made. */
    private int restoreParagraphs(List<Map<String, String>> then) {
        String text = doc.text();
        int edits = 0;
        int start = 0;
        for (int p = 0; p < then.size(); p++) {
            Map<String, String> wanted = then.get(p);
            Map<String, String> had = doc.paragraph(start);
            java.util.Set<String> keys = new java.util.TreeSet<>(wanted.keySet());
            keys.addAll(had.keySet());
            for (String key : keys) {
                if (Objects.equals(wanted.get(key), had.get(key))) continue;
                try {
                    outbox.accept(undo.setParagraph(start, key, wanted.get(key)));
                    edits++;
                } catch (IllegalArgumentException refused) {
                    // As for marks: the paragraph keeps today's attribute.
                }
            }
            int nl = text.indexOf('\n', start);
            if (nl < 0) break;
            start = nl + 1;
        }
        return edits;
    }

    /** Shows {@code next} as the author tints ("Show authors"; editor positions), replacing the ones shown. */
    void tint(Tints next) {
        // Only where the tints differ: after edits, the shifted old tints and the new ones differ
        // just around the new text, and the rest of the document is not restyled.
        int[] changed = Tints.differing(tints, next);
        tints = next;
        if (changed == null) return;
        patching = true;
        try {
            restyleText(Math.min(changed[0], area.getLength()), Math.min(changed[1], area.getLength()));
        } finally {
            patching = false;
        }
    }

    // ---------------------------------------------------------------- formatting commands

    /** The marks at the caret, or of the whole selection: what the toolbar shows. */
    Map<String, String> marksAtCaret() {
        IndexRange sel = area.getSelection();
        if (sel.getLength() > 0) {
            List<Doc.TextRun> runs = doc.runs(sel.getStart(), sel.getEnd());
            Map<String, String> common = new java.util.HashMap<>(runs.get(0).marks());
            for (Doc.TextRun run : runs) common.entrySet().removeIf(e -> !Objects.equals(run.marks().get(e.getKey()), e.getValue()));
            return common;
        }
        int caret = area.getCaretPosition();
        if (caret == 0) return doc.length() == 0 ? Map.of() : doc.runs(0, 1).get(0).marks();
        return doc.runs(caret - 1, caret).get(0).marks();
    }

    /** The attributes of the paragraph that holds the caret. */
    Map<String, String> paragraphAtCaret() {
        return doc.paragraph(Math.min(area.getCaretPosition(), doc.length()));
    }

    /** Turns mark {@code key} on over the selection, or off when all of it has it (FX thread). */
    void toggleMark(String key) {
        if (readOnly()) return;
        IndexRange sel = area.getSelection();
        if (sel.getLength() == 0) return;
        boolean all = doc.runs(sel.getStart(), sel.getEnd()).stream().allMatch(r -> r.marks().containsKey(key));
        mark(sel.getStart(), sel.getEnd(), key, all ? null : "true");
    }

    /** Puts mark {@code key} with {@code value} (null: removes it) on {@code from .. to-1}, as one undo step. */
    void mark(int from, int to, String key, String value) {
        if (readOnly()) return;
        if (from >= to) return;
        undo.closeStep();
        rememberSelection();
        useRememberedSelection();
        outbox.accept(undo.mark(from, to, key, value));
        undo.closeStep();
        formatted(from, to);
    }

    /** Removes every mark from the selection and makes its paragraphs normal text (one undo step). */
    void clearFormatting() {
        if (readOnly()) return;
        IndexRange sel = area.getSelection();
        undo.closeStep();
        rememberSelection();
        useRememberedSelection();
        if (sel.getLength() > 0) {
            java.util.Set<String> keys = new java.util.TreeSet<>();
            for (Doc.TextRun run : doc.runs(sel.getStart(), sel.getEnd())) keys.addAll(run.marks().keySet());
            for (String key : keys) outbox.accept(undo.mark(sel.getStart(), sel.getEnd(), key, null));
        }
        for (int p : paragraphStarts(sel.getStart(), sel.getEnd())) {
            Map<String, String> attrs = doc.paragraph(p);
            if (attrs.containsKey(Formats.BLOCK)) outbox.accept(undo.setParagraph(p, Formats.BLOCK, null));
            if (attrs.containsKey(Formats.INDENT)) outbox.accept(undo.setParagraph(p, Formats.INDENT, null));
        }
        undo.closeStep();
        formatted(sel.getStart(), sel.getEnd());
    }

    /**
     * Sets the block of every paragraph in the selection to {@code block} (null: normal text); when
     * they all have it already and it is a list, quote or code block, turns it off (FX thread).
     */
    void setBlock(String block, boolean toggle) {
        if (readOnly()) return;
        IndexRange sel = area.getSelection();
        List<Integer> starts = paragraphStarts(sel.getStart(), sel.getEnd());
        if (toggle && block != null && starts.stream().allMatch(p -> block.equals(doc.paragraph(p).get(Formats.BLOCK)))) {
            setParagraphs(starts, Formats.BLOCK, null);
        } else {
            setParagraphs(starts, Formats.BLOCK, block);
        }
    }

    /** True if a paragraph of the selection (or the caret's) is a list item: Tab indents it. */
    boolean selectionHasListItem() {
        IndexRange sel = area.getSelection();
        return paragraphStarts(sel.getStart(), sel.getEnd()).stream().anyMatch(p -> isList(doc.paragraph(p).get(Formats.BLOCK)));
    }

    /** Indents (+1) or outdents (-1) the list paragraphs of the selection; false if none is a list item. */
    boolean indent(int delta) {
        if (readOnly()) return false;
        IndexRange sel = area.getSelection();
        List<Integer> starts = paragraphStarts(sel.getStart(), sel.getEnd());
        if (!selectionHasListItem()) return false;
        undo.closeStep();
        rememberSelection();
        useRememberedSelection();
        for (int p : starts) {
            if (!isList(doc.paragraph(p).get(Formats.BLOCK))) continue;
            String had = doc.paragraph(p).get(Formats.INDENT);
            int level = Math.max(0, Math.min(8, (had == null ? 0 : had.charAt(0) - '0') + delta));
            String value = level == 0 ? null : String.valueOf(level);
            if (!Objects.equals(had, value)) outbox.accept(undo.setParagraph(p, Formats.INDENT, value));
        }
        undo.closeStep();
        formatted(sel.getStart(), sel.getEnd());
        return true;
    }

    /** Sets paragraph attribute {@code key} of the paragraph holding {@code pos}, as one undo step. */
    void setParagraph(int pos, String key, String value) {
        if (readOnly()) return;
        setParagraphs(List.of(pos), key, value);
    }

    static boolean isList(String block) {
        return "bullet".equals(block) || "numbered".equals(block);
    }

    private void setParagraphs(List<Integer> starts, String key, String value) {
        if (starts.isEmpty()) return;
        undo.closeStep();
        rememberSelection();
        useRememberedSelection();
        for (int p : starts) {
            if (!Objects.equals(doc.paragraph(p).get(key), value)) outbox.accept(undo.setParagraph(p, key, value));
        }
        undo.closeStep();
        formatted(java.util.Collections.min(starts), java.util.Collections.max(starts));
    }

    /** Where each paragraph that holds part of {@code from .. to} starts. */
    private List<Integer> paragraphStarts(int from, int to) {
        var bias = org.fxmisc.richtext.model.TwoDimensional.Bias.Forward;
        int first = area.offsetToPosition(from, bias).getMajor();
        int last = area.offsetToPosition(to, bias).getMajor();
        List<Integer> out = new ArrayList<>();
        for (int p = first; p <= last; p++) out.add(area.getAbsolutePosition(p, 0));
        return out;
    }

    private void formatted(int from, int to) {
        patching = true;
        try {
            restyleText(from, to);
            restyleParagraphs(from, to);
        } finally {
            patching = false;
        }
        undoListeners.forEach(Runnable::run);
        localEditListeners.forEach(Runnable::run);
        docListeners.forEach(Runnable::run);
    }

    /**
     * Replaces {@code from .. to-1} with {@code text} as a local edit (undoable, sent), leaving
     * the caret after it. For commands that edit (markdown shortcuts, replace): the area's change
     * comes back through the ordinary path.
     */
    void replace(int from, int to, String text) {
        if (readOnly()) return;
        area.replaceText(from, to, text);
    }

    // ---------------------------------------------------------------- clipboard

    /** Copies the selection as plain text (the real text) and as HTML with its formatting. */
    void copy() {
        IndexRange sel = area.getSelection();
        if (sel.getLength() == 0) return;
        javafx.scene.input.ClipboardContent content = new javafx.scene.input.ClipboardContent();
        String real = doc.runs(sel.getStart(), sel.getEnd()).stream().map(Doc.TextRun::text).collect(java.util.stream.Collectors.joining());
        content.putString(real);
        content.putHtml(RichClipboard.toHtml(doc, sel.getStart(), sel.getEnd()));
        javafx.scene.input.Clipboard.getSystemClipboard().setContent(content);
    }

    /** Copies the selection, then deletes it (one undo step). */
    void cut() {
        if (readOnly()) return;
        if (area.getSelection().getLength() == 0) return;
        copy();
        undo.closeStep();
        rememberSelection();
        area.replaceSelection("");
        undo.closeStep();
    }

    /**
     * Pastes HTML with its formatting (Tandem's own, or another application's mapped to the marks
     * Tandem has) or else plain text, replacing the selection, as one undo step.
     */
    void paste() {
        if (readOnly()) return;
        javafx.scene.input.Clipboard clipboard = javafx.scene.input.Clipboard.getSystemClipboard();
        RichClipboard.Fragment f = clipboard.hasHtml() ? RichClipboard.fromHtml(clipboard.getHtml()) : null;
        if (f == null || f.text().isEmpty()) {
            if (!clipboard.hasString()) return;
            undo.closeStep();
            rememberSelection();
            area.replaceSelection(clipboard.getString().replace("\r\n", "\n"));
            undo.closeStep();
            return;
        }
        insert(f);
    }

    /**
     * Puts formatted text (a paste's, an imported file's) in place of the selection, as one
     * undo step, through the same local-edit path as typing; the caret ends after it (FX thread).
     */
    void insert(RichClipboard.Fragment f) {
        if (readOnly()) return;
        IndexRange sel = area.getSelection();
        int pos = sel.getStart();
        boolean intoEmptyParagraph = sel.getLength() == 0 && area.getParagraph(area.getCurrentParagraph()).length() == 0;
        undo.closeStep();
        rememberSelection();
        area.replaceText(sel.getStart(), sel.getEnd(), f.text());
        if (area.getLength() != doc.length()) return;
        for (RichClipboard.Mark m : f.marks()) {
            try {
                outbox.accept(undo.mark(pos + m.from(), pos + m.to(), m.key(), m.value()));
            } catch (IllegalArgumentException refused) {
                // A value the schema refuses (an over-long link, say): the text stays, unmarked.
            }
        }
        int lineStart = pos;
        String text = f.text();
        for (int i = 0; i < f.paragraphs().size(); i++) {
            boolean endsInBreak = i < f.paragraphs().size() - (f.lastWhole() ? 1 : 0);
            if (endsInBreak || intoEmptyParagraph) {
                Map<String, String> style = f.paragraphs().get(i);
                for (String key : List.of(Formats.BLOCK, Formats.INDENT)) {
                    String value = style.get(key);
                    if (!Objects.equals(doc.paragraph(lineStart).get(key), value)) outbox.accept(undo.setParagraph(lineStart, key, value));
                }
            }
            int nl = text.indexOf('\n', lineStart - pos);
            if (nl < 0) break;
            lineStart = pos + nl + 1;
        }
        undo.closeStep();
        formatted(pos, pos + text.length());
        area.moveTo(pos + text.length());
        area.requestFollowCaret();
    }

    /** Ends the undo step being recorded: the next edit starts a new one. */
    /**
     * A view-only window (a viewer's invite): the area takes no typing, and the commands that
     * would edit (formatting, paste, cut, undo, replace) do nothing either, whichever key,
     * button or menu reached them.
     */
    private boolean readOnly() {
        return !area.isEditable();
    }

    void closeStep() {
        undo.closeStep();
    }

    // ---------------------------------------------------------------- find's highlights

    /** Shows {@code next} as find's highlights (editor positions), replacing the ones shown. */
    void highlight(TextStyles.Highlights next) {
        TextStyles.Highlights old = highlights;
        highlights = next;
        patching = true;
        try {
            for (int i = 0; i < old.size(); i++) restyleText(Math.min(old.starts[i], area.getLength()), Math.min(old.ends[i], area.getLength()));
            for (int i = 0; i < next.size(); i++) restyleText(next.starts[i], next.ends[i]);
        } finally {
            patching = false;
        }
    }

    TextStyles.Highlights highlights() {
        return highlights;
    }

    // ---------------------------------------------------------------- positions

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

    /** True if the area and the replica agree on the length; if not, rebuilds the area from the replica. */
    private boolean checkInSync() {
        if (area.getLength() == doc.length()) return true;
        // Should never happen; if it does, the area is rebuilt from the replica (which is what
        // everyone converges on) rather than silently drifting.
        System.err.println("tandem: editor out of sync with replica (" + area.getLength() + " vs " + doc.length() + "), reloading");
        int caret = Math.min(area.getCaretPosition(), doc.length());
        patching = true;
        try {
            area.replace(0, area.getLength(), TextStyles.document(doc));
        } finally {
            patching = false;
        }
        area.moveTo(caret);
        return false;
    }

    /** The area's content for {@code doc}; the thread that owns {@code doc}. */
    static StyledDocument<Collection<String>, String, Collection<String>> prepare(Doc doc) {
        return TextStyles.document(doc);
    }

    static String forDisplay(String text) {
        return text.indexOf('\r') < 0 ? text : text.replace('\r', CR_GLYPH);
    }

    void dispose() {
        subscription.unsubscribe();
    }
}
