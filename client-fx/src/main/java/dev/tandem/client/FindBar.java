package dev.tandem.client;

import javafx.geometry.Pos;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.TextField;
import javafx.scene.control.ToggleButton;
import javafx.scene.control.Tooltip;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyEvent;
import javafx.scene.layout.HBox;
import javafx.scene.layout.VBox;
import org.fxmisc.richtext.StyleClassedTextArea;

import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Find and replace: Ctrl+F shows the find bar, Ctrl+H the replace row too. Every match is
 * highlighted; the count ("3 of 12") and highlights follow the text as anyone edits it (searched
 * again after each change; in between, the highlights shift with the text). Enter / Shift+Enter
 * move to the next / previous match. Replace all is one undo step.
 *
 * <p>Threading: FX thread only. A search reads the replica's text (a copy, about a millisecond
 * per megabyte) and scans it: fine on the FX thread for the documents Tandem holds.
 */
final class FindBar extends VBox {
    /** At most this many matches are highlighted (all are counted): styling more would stall typing. */
    static final int MAX_HIGHLIGHTED = 10_000;

    private final StyleClassedTextArea area;
    private final EditorBinding binding;
    final TextField query = new TextField();
    final TextField replacement = new TextField();
    final ToggleButton matchCase = new ToggleButton("Aa");
    final ToggleButton wholeWord = new ToggleButton("Word");
    final Label count = new Label();
    private final HBox replaceRow;
    private int[] starts = new int[0];  // every match, in the area's positions
    private int[] ends = new int[0];
    private int current = -1;           // index into starts, -1: none
    private boolean searchQueued;

    FindBar(StyleClassedTextArea area, EditorBinding binding) {
        this.area = area;
        this.binding = binding;
        getStyleClass().add("find-bar");
        setId("find-bar");
        query.setId("find-field");
        query.setPromptText("Find");
        replacement.setId("replace-field");
        replacement.setPromptText("Replace with");
        matchCase.setId("find-case");
        matchCase.setTooltip(new Tooltip("Match case"));
        wholeWord.setId("find-word");
        wholeWord.setTooltip(new Tooltip("Whole words only"));
        count.setId("find-count");
        count.setMinWidth(70);
        Button previous = new Button("↑");
        previous.setTooltip(new Tooltip("Previous match (Shift+Enter)"));
        previous.setOnAction(e -> move(-1));
        Button next = new Button("↓");
        next.setTooltip(new Tooltip("Next match (Enter)"));
        next.setOnAction(e -> move(1));
        Button close = new Button("✕");
        close.setTooltip(new Tooltip("Close (Esc)"));
        close.setOnAction(e -> hide());
        Button replaceOne = new Button("Replace");
        replaceOne.setId("replace-one");
        replaceOne.setOnAction(e -> replaceCurrent());
        Button replaceAll = new Button("Replace all");
        replaceAll.setId("replace-all");
        replaceAll.setOnAction(e -> replaceAll());
        HBox findRow = new HBox(6, query, matchCase, wholeWord, count, previous, next, close);
        findRow.setAlignment(Pos.CENTER_LEFT);
        replaceRow = new HBox(6, replacement, replaceOne, replaceAll);
        replaceRow.setAlignment(Pos.CENTER_LEFT);
        getChildren().addAll(findRow, replaceRow);
        query.textProperty().addListener((obs, o, n) -> search(true));
        matchCase.selectedProperty().addListener((obs, o, n) -> search(true));
        wholeWord.selectedProperty().addListener((obs, o, n) -> search(true));
        addEventFilter(KeyEvent.KEY_PRESSED, e -> {
            if (e.getCode() == KeyCode.ESCAPE) {
                hide();
                e.consume();
            } else if (e.getCode() == KeyCode.ENTER && e.getTarget() == query) {
                move(e.isShiftDown() ? -1 : 1);
                e.consume();
            } else if (e.getCode() == KeyCode.ENTER && e.getTarget() == replacement) {
                replaceCurrent();
                e.consume();
            }
        });
        // Others' typing (and ours) changes the matches: search again, once per burst.
        binding.addDocListener(() -> {
            if (isVisible() && !searchQueued) {
                searchQueued = true;
                javafx.application.Platform.runLater(() -> {
                    searchQueued = false;
                    if (isVisible()) search(false);
                });
            }
        });
        setVisible(false);
        setManaged(false);
    }

    /** Shows the bar (with the replace row if {@code replace}), the selection as the query. */
    void show(boolean replace) {
        replaceRow.setVisible(replace);
        replaceRow.setManaged(replace);
        setVisible(true);
        setManaged(true);
        String selected = area.getSelectedText();
        if (!selected.isEmpty() && selected.indexOf('\n') < 0 && selected.length() <= 200) query.setText(selected);
        query.requestFocus();
        query.selectAll();
        search(true);
    }

    void hide() {
        setVisible(false);
        setManaged(false);
        starts = ends = new int[0];
        current = -1;
        binding.highlight(TextStyles.Highlights.NONE);
        area.requestFocus();
    }

    /** Number of matches. */
    int matches() {
        return starts.length;
    }

    /** What the count label says ("3 of 12", "No matches", or empty with no query). */
    String countText() {
        return count.getText();
    }

    /**
     * Searches the text again. {@code fromCaret}: the current match is the first at or after the
     * caret (a new query); otherwise it stays on the match it was on, wherever edits moved it.
     */
    private void search(boolean fromCaret) {
        String q = query.getText();
        int keep = -1;
        if (!fromCaret) {
            TextStyles.Highlights shown = binding.highlights();
            if (shown.current >= 0 && shown.current < shown.size()) keep = shown.starts[shown.current];
        }
        if (q.isEmpty()) {
            starts = ends = new int[0];
            current = -1;
            show();
            return;
        }
        Pattern p = pattern(q, matchCase.isSelected(), wholeWord.isSelected());
        Matcher m = p.matcher(area.getText());
        int[] s = new int[16], e = new int[16];
        int n = 0;
        while (m.find()) {
            if (m.end() == m.start()) continue;
            if (n == s.length) {
                s = Arrays.copyOf(s, n * 2);
                e = Arrays.copyOf(e, n * 2);
            }
            s[n] = m.start();
            e[n] = m.end();
            n++;
        }
        starts = Arrays.copyOf(s, n);
        ends = Arrays.copyOf(e, n);
        int from = fromCaret ? area.getSelection().getStart() : keep;
        current = -1;
        if (n > 0) {
            if (from < 0) from = area.getCaretPosition();
            int i = Arrays.binarySearch(starts, from);
            current = i >= 0 ? i : Math.min(-i - 1, n - 1);
        }
        show();
    }

    static Pattern pattern(String query, boolean matchCase, boolean wholeWord) {
        String regex = Pattern.quote(query);
        if (wholeWord) regex = "(?<![\\p{L}\\p{N}_])" + regex + "(?![\\p{L}\\p{N}_])";
        return Pattern.compile(regex, matchCase ? 0 : Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    }

    /** Highlights the matches and shows the count. */
    private void show() {
        int shown = Math.min(starts.length, MAX_HIGHLIGHTED);
        int cur = current < shown ? current : -1;
        binding.highlight(new TextStyles.Highlights(Arrays.copyOf(starts, shown), Arrays.copyOf(ends, shown), cur));
        if (query.getText().isEmpty()) count.setText("");
        else if (starts.length == 0) count.setText("No matches");
        else count.setText((current + 1) + " of " + starts.length);
    }

    /** Moves to the next (+1) or previous (-1) match, from the one the count names, selecting it in the editor. */
    void move(int direction) {
        if (starts.length == 0) return;
        current = current < 0 ? (direction > 0 ? 0 : starts.length - 1) : Math.floorMod(current + direction, starts.length);
        select();
    }

    private void select() {
        if (current < 0) return;
        binding.closeStep();
        area.selectRange(starts[current], ends[current]);
        area.requestFollowCaret();
        show();
    }

    /** Replaces the current match (selecting it first if it is not selected), then moves to the next. */
    void replaceCurrent() {
        if (current < 0 || starts.length == 0) return;
        boolean selected = area.getSelection().getStart() == starts[current] && area.getSelection().getEnd() == ends[current];
        if (!selected) {
            select();
            return;
        }
        binding.closeStep();
        binding.rememberSelection();
        int at = starts[current];
        String with = replacement.getText();
        area.replaceText(starts[current], ends[current], with);
        binding.closeStep();
        search(false);
        // The next match after the replaced text.
        if (starts.length > 0) {
            int i = Arrays.binarySearch(starts, at + with.length());
            current = i >= 0 ? i : Math.min(-i - 1, starts.length - 1);
            select();
        }
    }

    /** Replaces every match, as one undo step. Returns how many were replaced. */
    int replaceAll() {
        if (starts.length == 0) return 0;
        String with = replacement.getText();
        int n = starts.length;
        int[] s = starts.clone(), e = ends.clone();
        binding.closeStep();
        binding.rememberSelection();
        // From the last to the first: earlier positions stay valid.
        for (int i = n - 1; i >= 0; i--) area.replaceText(s[i], e[i], with);
        binding.closeStep();
        search(true);
        count.setText(n == 1 ? "Replaced 1" : "Replaced " + n);
        return n;
    }
}
