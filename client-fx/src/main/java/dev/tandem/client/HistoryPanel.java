package dev.tandem.client;

import dev.tandem.crdt.Version;
import dev.tandem.sync.Author;
import dev.tandem.sync.NamedVersion;
import dev.tandem.sync.Peer;
import javafx.animation.PauseTransition;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.geometry.Pos;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.ListView;
import javafx.scene.control.TextInputDialog;
import javafx.scene.control.Tooltip;
import javafx.scene.input.KeyCode;
import javafx.scene.layout.FlowPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import javafx.scene.shape.Circle;
import javafx.util.Duration;
import org.fxmisc.flowless.VirtualizedScrollPane;
import org.fxmisc.richtext.StyleClassedTextArea;

import java.time.Clock;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The history side panel (View > History, Ctrl+Alt+H): the room's edit sessions and named
 * versions, newest first. Selecting one shows the text as it was then in a read-only view that
 * takes the live editor's place ({@link #viewer}), what changed since the entry before it marked;
 * "Restore this version" makes the live text that again, "Name this version..." names the point
 * for everyone. Also "Show authors": the live text tinted by who wrote it, with a legend.
 *
 * <p>Threading: FX thread only. The entries are read off the UI replica (FX thread); a past
 * version and the authors' tints, tens of milliseconds on a big document, are computed by the
 * {@link Reader} (the session replica, on the sync client's thread) and shown when they arrive,
 * unless something newer was asked for meanwhile.
 */
final class HistoryPanel {
    /** Names a version for everyone in the room (the hub keeps it); absent when the hub cannot. */
    interface Namer {
        /** Completes (any thread) when sent, exceptionally when it could not be (offline, say). */
        java.util.concurrent.CompletableFuture<Void> name(String name, Version version);
    }

    /**
     * Runs read-only work on a replica that holds at least everything the UI replica holds: the
     * session replica, on the sync client's thread ({@code SyncClient.read}).
     */
    interface Reader {
        <T> java.util.concurrent.CompletableFuture<T> read(java.util.function.Function<dev.tandem.crdt.Doc, T> work);
    }

    /** After the text changes, the list and the author tints follow this much later (typing does not recompute on each key). */
    private static final Duration REFRESH_DELAY = Duration.millis(400);
    static final int MAX_NAME_LENGTH = 100;

    final VBox node = new VBox();
    final StyleClassedTextArea viewer = new StyleClassedTextArea();
    final VirtualizedScrollPane<StyleClassedTextArea> viewerPane = new VirtualizedScrollPane<>(viewer);
    final FlowPane legend = new FlowPane(10, 4);
    final ListView<HistoryViewModel.Entry> list;
    final HistoryViewModel model = new HistoryViewModel();
    final AuthorNames names = new AuthorNames();
    final Button newer = new Button("\u25B2");
    final Button older = new Button("\u25BC");
    final Button restore = new Button("Restore this version");
    final Button name = new Button("Name this version\u2026");
    final CheckBox showAuthors = new CheckBox("Show authors");
    final Label summary = new Label();

    private final EditorBinding binding;
    private final BooleanProperty open = new SimpleBooleanProperty(false);
    private final BooleanProperty viewing = new SimpleBooleanProperty(false);
    private final BooleanProperty viewOnly = new SimpleBooleanProperty(false);
    private final BooleanProperty canName = new SimpleBooleanProperty(false);
    private final PauseTransition refreshLater = new PauseTransition(REFRESH_DELAY);
    private final Clock clock;
    private Namer namer;
    private Reader reader;
    private long showRequest;       // the newest past version asked for
    private long authorsRequest;    // the newest authors' tints asked for
    private boolean refreshing;     // the list is being replaced: its passing selection changes are not the user's
    private String shownKey;        // the entry the viewer shows
    private Version shownVersion;
    private List<String> viewerSheets = List.of();
    private String editorSheet;     // the live editor's tint stylesheet (Show authors)

    HistoryPanel(EditorBinding binding, Clock clock) {
        this.binding = binding;
        this.clock = clock;
        // Until a session gives one: the UI replica itself, here on the FX thread.
        this.reader = new Reader() {
            @Override
            public <T> java.util.concurrent.CompletableFuture<T> read(java.util.function.Function<dev.tandem.crdt.Doc, T> work) {
                try {
                    return java.util.concurrent.CompletableFuture.completedFuture(work.apply(binding.doc()));
                } catch (RuntimeException e) {
                    return java.util.concurrent.CompletableFuture.failedFuture(e);
                }
            }
        };
        node.setId("history-panel");
        String css = HistoryPanel.class.getResource("history.css").toExternalForm();
        node.getStylesheets().add(css);
        viewer.getStylesheets().add(css);
        legend.getStylesheets().add(css);
        node.getStyleClass().addAll("sidebar", "history-panel");
        node.setPrefWidth(280);
        node.setMinWidth(220);

        Label header = new Label("History");
        header.getStyleClass().add("sidebar-header");
        list = new ListView<>(model.entries());
        list.setId("history-list");
        list.setCellFactory(lv -> new EntryCell());
        list.setPlaceholder(new Label("No edits yet"));
        VBox.setVgrow(list, Priority.ALWAYS);
        list.getSelectionModel().selectedItemProperty().addListener((obs, o, entry) -> {
            if (!refreshing) show(entry);
        });
        list.setOnKeyPressed(e -> {
            if (e.getCode() == KeyCode.ESCAPE) {
                list.getSelectionModel().clearSelection();
                e.consume();
            }
        });

        newer.setId("history-newer");
        older.setId("history-older");
        newer.setTooltip(new Tooltip("Newer entry (Up)"));
        older.setTooltip(new Tooltip("Older entry (Down)"));
        newer.setOnAction(e -> step(-1));
        older.setOnAction(e -> step(1));
        Button live = new Button("Back to live");
        live.setId("history-live");
        live.setOnAction(e -> list.getSelectionModel().clearSelection());
        live.disableProperty().bind(viewing.not());
        HBox steps = new HBox(6, newer, older, live);
        steps.setAlignment(Pos.CENTER_LEFT);

        restore.setId("history-restore");
        restore.setMaxWidth(Double.MAX_VALUE);
        restore.disableProperty().bind(viewing.not().or(viewOnly));
        restore.setOnAction(e -> restoreShown());
        name.setId("history-name");
        name.setMaxWidth(Double.MAX_VALUE);
        name.disableProperty().bind(viewing.not().or(viewOnly).or(canName.not()));
        name.setOnAction(e -> askName());
        summary.setId("history-summary");
        summary.getStyleClass().add("history-summary");
        summary.setWrapText(true);

        showAuthors.setId("show-authors");
        showAuthors.selectedProperty().addListener((obs, o, on) -> showAuthors(on));
        legend.setId("authors-legend");
        legend.getStyleClass().add("authors-legend");
        legend.setVisible(false);
        legend.setManaged(false);

        VBox actions = new VBox(6, steps, summary, restore, name, showAuthors);
        actions.getStyleClass().add("history-actions");
        node.getChildren().addAll(header, list, actions);
        node.setVisible(false);
        node.setManaged(false);

        viewer.setId("history-viewer");
        viewer.setEditable(false);
        viewer.setWrapText(true);
        viewer.setParagraphGraphicFactory(p -> EditorBinding.listMarker(viewer, p));
        viewer.getStyleClass().addAll("tandem-editor", "history-viewer");
        viewer.addEventFilter(javafx.scene.input.KeyEvent.KEY_PRESSED, e -> {
            // In the past, Up and Down step through the entries (the text cannot be edited anyway).
            if (e.getCode() == KeyCode.UP && e.isAltDown()) { step(-1); e.consume(); }
            else if (e.getCode() == KeyCode.DOWN && e.isAltDown()) { step(1); e.consume(); }
            else if (e.getCode() == KeyCode.ESCAPE) { list.getSelectionModel().clearSelection(); e.consume(); }
        });

        refreshLater.setOnFinished(e -> refresh());
        binding.addDocListener(() -> {
            if (open.get() || showAuthors.isSelected()) refreshLater.playFromStart();
        });
    }

    /** Whether the panel is shown. */
    ReadOnlyBooleanProperty openProperty() {
        return open;
    }

    /** Whether a past version is shown (instead of the live editor). */
    ReadOnlyBooleanProperty viewingProperty() {
        return viewing;
    }

    void setOpen(boolean show) {
        if (show == open.get()) return;
        open.set(show);
        node.setVisible(show);
        node.setManaged(show);
        if (show) {
            refresh();
            list.requestFocus();
        } else {
            list.getSelectionModel().clearSelection(); // closing returns to the live editor
        }
    }

    void toggle() {
        setOpen(!open.get());
    }

    /** A viewer's window: restoring and naming are edits it may not make. */
    void setViewOnly(boolean viewOnly) {
        this.viewOnly.set(viewOnly);
    }

    /** Where past versions and tints are computed (see {@link Reader}). */
    void setReader(Reader reader) {
        this.reader = reader;
    }

    /** Who can name versions (null: this hub cannot, the button stays off). */
    void setNamer(Namer namer) {
        this.namer = namer;
        canName.set(namer != null);
    }

    void setNamed(List<NamedVersion> named) {
        model.setNamed(named);
        if (open.get()) refresh();
    }

    void setAuthors(Map<Long, Author> authors) {
        names.setAuthors(authors);
        if (open.get() || showAuthors.isSelected()) refreshLater.playFromStart();
    }

    void sawPeers(List<Peer> peers) {
        names.sawPeers(peers);
    }

    /** Recomputes the entries (if shown) and the author tints (if on), now. */
    void refresh() {
        refreshLater.stop();
        if (open.get()) {
            String selected = shownKey;
            Optional<HistoryViewModel.Entry> same = Optional.empty();
            refreshing = true; // replacing the items clears the selection for a moment: the past stays shown
            try {
                model.refresh(binding.doc(), names);
                if (selected != null) {
                    same = model.entries().stream().filter(e -> e.key().equals(selected)).findFirst();
                    same.ifPresent(e -> list.getSelectionModel().select(e));
                }
            } finally {
                refreshing = false;
            }
            if (selected != null && same.isEmpty()) {
                list.getSelectionModel().clearSelection();
                show(null);
            } else if (same.isPresent() && !same.get().version().equals(shownVersion)) {
                show(same.get()); // still the same entry, but a session that grew shows its new end
            }
        }
        if (showAuthors.isSelected()) showAuthors(true);
    }

    /** Moves the selection to the newer (-1) or older (+1) entry. */
    void step(int direction) {
        int n = model.entries().size();
        if (n == 0) return;
        int i = list.getSelectionModel().getSelectedIndex();
        int next = i < 0 ? (direction > 0 ? 0 : n - 1) : Math.max(0, Math.min(n - 1, i + direction));
        list.getSelectionModel().select(next);
        list.scrollTo(next);
    }

    private void show(HistoryViewModel.Entry entry) {
        long request = ++showRequest;
        if (entry == null) {
            shownKey = null;
            shownVersion = null;
            viewing.set(false);
            return;
        }
        AuthorNames namesNow = names.copy();
        reader.read(d -> HistoryViewModel.past(d, entry, namesNow)).whenCompleteAsync((past, error) -> {
            if (request != showRequest) return; // another entry was picked meanwhile
            if (error != null) {
                summary.setText("Could not show this version: " + TandemApp.describe(error));
                return;
            }
            display(entry, past);
        }, FxThread.EXECUTOR);
    }

    private void display(HistoryViewModel.Entry entry, HistoryViewModel.Past past) {
        viewer.getStylesheets().removeAll(viewerSheets);
        viewerSheets = List.of(Tints.stylesheet(past.tintClasses()));
        viewer.getStylesheets().addAll(viewerSheets);
        viewer.replace(0, viewer.getLength(), past.document());
        viewer.moveTo(Math.min(past.firstChange(), viewer.getLength()));
        viewer.requestFollowCaret();
        shownKey = entry.key();
        shownVersion = entry.version();
        summary.setText((entry.named() ? "\u201C" + entry.label() + "\u201D, named by " + entry.name() : entry.name())
                + ", " + HistoryViewModel.absolute(entry.end(), ZoneId.systemDefault())
                + ": " + past.inserted() + " added, " + past.deleted() + " removed since the entry before");
        viewing.set(true);
    }

    /** Makes the live text the shown version again (one undo step for this user), and goes back to it. */
    void restoreShown() {
        HistoryViewModel.Entry entry = list.getSelectionModel().getSelectedItem();
        if (entry == null || viewOnly.get()) return;
        binding.restore(entry.version());
        list.getSelectionModel().clearSelection();
        binding.area().requestFocus();
    }

    private void askName() {
        HistoryViewModel.Entry entry = list.getSelectionModel().getSelectedItem();
        if (entry == null) return;
        TextInputDialog dialog = new TextInputDialog();
        dialog.initOwner(node.getScene().getWindow());
        dialog.setTitle("Name this version");
        dialog.setHeaderText("A name everyone in the room sees in History");
        dialog.getEditor().setId("version-name");
        dialog.showAndWait().ifPresent(text -> {
            String problem = nameVersion(text);
            if (problem != null) summary.setText(problem);
        });
    }

    /**
     * Names the selected entry's version {@code text} for everyone; null when asked, else why not
     * (the hub checks again: these are its rules, docs/protocol.md).
     */
    String nameVersion(String text) {
        HistoryViewModel.Entry entry = list.getSelectionModel().getSelectedItem();
        if (entry == null) return "Pick an entry first.";
        if (namer == null || viewOnly.get()) return "This room's hub does not keep named versions.";
        String trimmed = text == null ? "" : text.strip();
        int length = trimmed.codePointCount(0, trimmed.length());
        if (length == 0 || length > MAX_NAME_LENGTH) return "A name has 1 to " + MAX_NAME_LENGTH + " characters.";
        if (!dev.tandem.protocol.Wire.isSafe(trimmed)) return "A name cannot hold line breaks or invisible characters.";
        try {
            namer.name(trimmed, entry.version()).whenCompleteAsync((ok, error) -> {
                summary.setText(error != null ? "Not named: " + TandemApp.describe(error)
                        : "Named \u201C" + trimmed + "\u201D: everyone in the room sees it once the hub has stored it.");
            }, FxThread.EXECUTOR);
        } catch (IllegalArgumentException refused) {
            return "Not named: " + refused.getMessage();
        }
        return null;
    }

    /** Tints the live text by who wrote it, with a legend; or takes the tints away. */
    void showAuthors(boolean on) {
        if (showAuthors.isSelected() != on) {
            showAuthors.setSelected(on); // comes back here through the listener
            return;
        }
        legend.setVisible(on);
        legend.setManaged(on);
        long request = ++authorsRequest;
        if (!on) {
            var area = binding.area();
            if (editorSheet != null) area.getStylesheets().remove(editorSheet);
            editorSheet = null;
            binding.tint(Tints.NONE);
            legend.getChildren().clear();
            return;
        }
        Version at = binding.doc().version();
        AuthorNames namesNow = names.copy();
        reader.read(d -> HistoryViewModel.authorship(d, at, namesNow)).whenCompleteAsync((a, error) -> {
            if (request != authorsRequest || !showAuthors.isSelected()) return;
            if (error != null) {
                legend.getChildren().setAll(new Label("Authors could not be shown: " + TandemApp.describe(error)));
                return;
            }
            // Positions are in the text at "at": if it changed meanwhile, the doc listener has
            // asked again already, and that answer will fit.
            if (binding.doc().version().equals(at)) tint(a);
        }, FxThread.EXECUTOR);
    }

    private void tint(HistoryViewModel.Authorship a) {
        var area = binding.area();
        String old = editorSheet;
        editorSheet = Tints.stylesheet(a.tints().classesUsed());
        area.getStylesheets().add(editorSheet);
        binding.tint(a.tints());
        if (old != null) area.getStylesheets().remove(old); // after: no moment without the tints' rules
        List<javafx.scene.Node> items = new ArrayList<>();
        Label title = new Label("Written by:");
        title.getStyleClass().add("legend-title");
        items.add(title);
        for (HistoryViewModel.Person p : a.people()) {
            Circle swatch = new Circle(5, UserColors.toColor(p.color()));
            Label who = new Label(p.name(), swatch);
            who.getStyleClass().add("legend-person");
            items.add(who);
        }
        legend.getChildren().setAll(items);
    }

    void dispose() {
        refreshLater.stop();
    }

    private final class EntryCell extends ListCell<HistoryViewModel.Entry> {
        private final Circle swatch = new Circle(6);
        private final Label who = new Label();
        private final Label when = new Label();
        private final Label changes = new Label();
        private final HBox box;

        EntryCell() {
            who.getStyleClass().add("history-who");
            when.getStyleClass().add("history-when");
            changes.getStyleClass().add("history-changes");
            who.setMinWidth(0);
            when.setMinWidth(Region.USE_PREF_SIZE);
            changes.setMinWidth(Region.USE_PREF_SIZE);
            Region gap = new Region();
            HBox.setHgrow(gap, Priority.ALWAYS);
            box = new HBox(6, swatch, who, gap, changes, when);
            box.setAlignment(Pos.CENTER_LEFT);
            setPrefWidth(0);
            getStyleClass().add("history-cell");
        }

        @Override
        protected void updateItem(HistoryViewModel.Entry e, boolean empty) {
            super.updateItem(e, empty);
            if (empty || e == null) {
                setGraphic(null);
                setText(null);
                setTooltip(null);
                return;
            }
            swatch.setFill(UserColors.toColor(e.color()));
            who.setText(e.named() ? "\u2605 " + e.label() : e.name());
            changes.setText(e.named() ? "by " + e.name() : e.changes());
            when.setText(HistoryViewModel.relative(e.end(), clock.instant(), ZoneId.systemDefault()));
            setTooltip(new Tooltip((e.named() ? "\u201C" + e.label() + "\u201D named by " + e.name() : e.name() + ": " + e.inserted()
                    + " characters added, " + e.deleted() + " removed") + "\n" + HistoryViewModel.absolute(e.start(), ZoneId.systemDefault())
                    + (e.start().equals(e.end()) ? "" : " to " + HistoryViewModel.absolute(e.end(), ZoneId.systemDefault()))));
            setText(null);
            setGraphic(box);
        }
    }
}
