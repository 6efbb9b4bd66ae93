package dev.tandem.client;

import dev.tandem.crdt.Doc;
import dev.tandem.sync.TandemVersion;
import javafx.animation.KeyFrame;
import javafx.animation.PauseTransition;
import javafx.animation.Timeline;
import javafx.beans.binding.Bindings;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.css.PseudoClass;
import javafx.geometry.BoundingBox;
import javafx.geometry.Bounds;
import javafx.geometry.Pos;
import javafx.scene.Scene;
import javafx.scene.control.Button;
import javafx.scene.control.Alert;
import javafx.scene.control.CheckMenuItem;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.ListView;
import javafx.scene.control.Menu;
import javafx.scene.control.MenuBar;
import javafx.scene.control.MenuItem;
import javafx.scene.control.SeparatorMenuItem;
import javafx.scene.control.TextField;
import javafx.scene.control.Tooltip;
import javafx.scene.input.Clipboard;
import javafx.scene.input.ClipboardContent;
import javafx.scene.input.KeyCombination;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Pane;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;
import javafx.scene.shape.Circle;
import javafx.stage.Stage;
import javafx.util.Duration;
import org.fxmisc.flowless.VirtualizedScrollPane;
import org.fxmisc.richtext.StyleClassedTextArea;
import org.fxmisc.richtext.model.StyledDocument;
import org.fxmisc.richtext.model.TwoDimensional;

import dev.tandem.crdt.UndoManager;
import dev.tandem.crdt.Update;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.OptionalInt;

/**
 * One room's window: menu, invite bar, editor, presence sidebar, status bar. A view: it knows
 * nothing of networking; {@link RoomSession} wires it to the sync client.
 *
 * <p>Threading: FX thread only.
 */
final class RoomWindow {
    /** What the window's menu asks the application (or session) to do. */
    interface Actions {
        void joinRoom();
        void host();
        /** Where this window's disk work runs (export, import, print layout): never the FX thread. */
        default java.util.concurrent.Executor io() {
            return java.util.concurrent.ForkJoinPool.commonPool();
        }
        /** Opens a new room named {@code room} on this window's server and puts {@code content} in it (FX thread). */
        default void openRoomWith(String room, FormattedText content) {}
        void setOffline(boolean offline);
        void quit();
        /** Opens a link someone put in the text (already checked: http, https or mailto) in the system browser. */
        void openLink(String url);
    }

    /**
     * Mints invites to this room (only a room this process hosts has one): completes with the
     * invite string, off the FX thread.
     */
    interface Inviter {
        java.util.concurrent.CompletableFuture<String> invite(boolean viewer);
    }

    static final KeyCombination FIND = KeyCombination.keyCombination("Shortcut+F");
    static final KeyCombination REPLACE = KeyCombination.keyCombination("Shortcut+H");
    static final KeyCombination HISTORY = KeyCombination.keyCombination("Shortcut+Alt+H");
    private static final PseudoClass CONNECTED = PseudoClass.getPseudoClass("connected");
    private static final PseudoClass CONNECTING = PseudoClass.getPseudoClass("connecting");
    private static final PseudoClass OFFLINE = PseudoClass.getPseudoClass("offline");

    final Stage stage;
    final StyleClassedTextArea area = new StyleClassedTextArea();
    final EditorBinding binding;
    final EditorCommands commands;
    final FindBar find;
    final FileCommands files;
    final HistoryPanel history;
    final RemoteCursors cursors;
    /** The editor's zoom and text column, and the View menu's theme and zoom entries ({@link Look}). */
    final Look.Editor look;
    final PresenceViewModel presence = new PresenceViewModel();
    final StatusViewModel status;
    final RoomAddress address;
    final CheckMenuItem workOffline = new CheckMenuItem("Work offline");
    /** The narrowest the window gets: the status bar's short forms and the invite bar still fit whole. */
    static final double MIN_WIDTH = 600;
    static final String COPY_INVITE = "Copy invite";
    static final String COPIED = "Copied!";
    private final Button copyButton = new Button(COPY_INVITE);
    static final String COPY_EDITOR_INVITE = "Copy editor invite";
    static final String COPY_VIEWER_INVITE = "Copy viewer invite";
    final Button copyEditorInvite = new Button(COPY_EDITOR_INVITE);
    final Button copyViewerInvite = new Button(COPY_VIEWER_INVITE);
    private final MenuItem editorInviteItem = new MenuItem(COPY_EDITOR_INVITE);
    private final MenuItem viewerInviteItem = new MenuItem(COPY_VIEWER_INVITE);
    private final PauseTransition inviteCopiedFor = new PauseTransition(Duration.seconds(2));
    private Inviter inviter;
    private final PauseTransition copiedFor = new PauseTransition(Duration.seconds(2));
    private final Actions actions;
    private final Label hostBanner = new Label();
    private final Label viewOnlyBanner = new Label("View only: you can read and follow along, but this invite does not let you edit.");
    private final Timeline ticker;
    private final PauseTransition wordCount = new PauseTransition(Duration.millis(250));

    RoomWindow(Stage stage, RoomAddress address, Doc doc, Consumer<Update> outbox, Actions actions) {
        this(stage, address, doc, null, null, outbox, actions);
    }

    /** @param initial the editor's content for {@code doc}, prepared off the FX thread ({@link EditorBinding#prepare}), or null */
    RoomWindow(Stage stage, RoomAddress address, Doc doc, StyledDocument<Collection<String>, String, Collection<String>> initial,
               UndoManager undo, Consumer<Update> outbox, Actions actions) {
        this.stage = stage;
        this.actions = actions;
        this.address = address;
        this.status = new StatusViewModel(address.room(), System::currentTimeMillis);
        area.setId("editor");
        area.setWrapText(true);
        area.getStyleClass().add("tandem-editor");
        look = Look.get().attach(area);
        binding = new EditorBinding(area, doc, initial, undo, outbox);
        commands = new EditorCommands(area, binding, actions::openLink);
        find = new FindBar(area, binding);
        files = new FileCommands(stage, address.room(), binding, actions.io(), actions::openRoomWith);
        history = new HistoryPanel(binding, java.time.Clock.systemUTC());
        org.fxmisc.wellbehaved.event.Nodes.addInputMap(area, org.fxmisc.wellbehaved.event.InputMap.sequence(
                org.fxmisc.wellbehaved.event.InputMap.consume(org.fxmisc.wellbehaved.event.EventPattern.keyPressed(FIND), e -> find.show(false)),
                org.fxmisc.wellbehaved.event.InputMap.consume(org.fxmisc.wellbehaved.event.EventPattern.keyPressed(REPLACE), e -> find.show(true))));
        Pane overlay = new Pane();
        overlay.getStyleClass().add("cursor-overlay");
        cursors = new RemoteCursors(area, doc, overlay);
        binding.addDocListener(() -> {
            cursors.refresh();
            status.setLength(doc.length());
        });
        status.setLength(doc.length());
        // Words are counted a moment after typing pauses (a scan of the text), not on every keystroke.
        wordCount.setOnFinished(e -> countWords());
        binding.addDocListener(wordCount::playFromStart);
        area.selectionProperty().addListener((obs, o, n) -> wordCount.playFromStart());
        countWords();

        StackPane editorStack = new StackPane(new VirtualizedScrollPane<>(area), overlay);
        editorStack.getStyleClass().add("editor-stack");

        BorderPane root = new BorderPane();
        root.getStyleClass().add("room-window");
        root.setTop(new VBox(createMenu(actions), createInviteBar(), commands.toolbar, find, history.legend));
        root.setCenter(editorStack);
        root.setRight(new HBox(history.node, createSidebar()));
        // While the history panel shows a past version, it takes the live editor's place.
        history.viewingProperty().addListener((obs, was, viewing) -> root.setCenter(viewing ? history.viewerPane : editorStack));
        root.setBottom(createStatusBar());

        Scene scene = new Scene(root, 1100, 720);
        Look.get().install(scene); // theme, tandem.css, zoom keys
        stage.setScene(scene);
        stage.setTitle(address.room() + " - Tandem");
        stage.getIcons().setAll(TandemApp.icons());
        stage.setMinWidth(MIN_WIDTH);
        stage.setMinHeight(360);

        ticker = new Timeline(new KeyFrame(Duration.seconds(1), e -> status.tick()));
        ticker.setCycleCount(Timeline.INDEFINITE);
        // Only while a retry countdown is shown: a running animation keeps JavaFX pulsing 60 times a second.
        status.connectionProperty().addListener((obs, old, state) -> {
            if (state == StatusViewModel.Connection.CONNECTING) ticker.play();
            else ticker.stop();
        });
        if (status.connectionProperty().get() == StatusViewModel.Connection.CONNECTING) ticker.play();
        stage.setOnShown(e -> area.requestFocus());
        ReadyProbe.watch(stage);
    }

    /**
     * A viewer's window: the editor refuses typing, pasting and cutting and the banner says why.
     * The hub refuses a viewer's edits anyway; this keeps the user from making edits that would
     * only be refused.
     */
    void setViewOnly(boolean viewOnly) {
        area.setEditable(!viewOnly);
        history.setViewOnly(viewOnly);
        viewOnlyBanner.setVisible(viewOnly);
        viewOnlyBanner.setManaged(viewOnly);
    }

    /** Shows who is hosting, and the address others join with; null hides the banner. */
    void setHostBanner(String text) {
        hostBanner.setText(text == null ? "" : text);
        hostBanner.setVisible(text != null);
        hostBanner.setManaged(text != null);
    }

    private MenuBar createMenu(Actions actions) {
        MenuItem join = item("Join room…", "Shortcut+O", actions::joinRoom);
        join.setId("menu-join");
        MenuItem host = item("Host on this computer…", null, actions::host);
        MenuItem exportText = item("Export as plain text…", "Shortcut+E", () -> files.export(FileCommands.Format.TEXT));
        exportText.setId("menu-export-text");
        MenuItem exportMarkdown = item("Export as Markdown…", null, () -> files.export(FileCommands.Format.MARKDOWN));
        exportMarkdown.setId("menu-export-markdown");
        MenuItem exportHtml = item("Export as HTML…", null, () -> files.export(FileCommands.Format.HTML));
        exportHtml.setId("menu-export-html");
        MenuItem importRoom = item("Import into new room…", null, files::importIntoNewRoom);
        importRoom.setId("menu-import-room");
        MenuItem insertFile = item("Insert file…", null, files::insertFile);
        // Off for a viewer, and while history shows a past version (it would go into the hidden live text).
        insertFile.disableProperty().bind(area.editableProperty().not().or(history.viewingProperty()));
        insertFile.setId("menu-insert-file");
        MenuItem print = item("Print…", "Shortcut+P", files::print);
        print.setId("menu-print");
        MenuItem copy = item("Copy invite address", "Shortcut+Shift+C", this::copyInvite);
        workOffline.setAccelerator(KeyCombination.keyCombination("Shortcut+Shift+O"));
        workOffline.setOnAction(e -> actions.setOffline(workOffline.isSelected()));
        MenuItem close = item("Close window", "Shortcut+W", stage::close);
        MenuItem quit = item("Quit", "Shortcut+Q", actions::quit);
        Menu file = new Menu("_File", null, join, host, importRoom, new SeparatorMenuItem(), insertFile,
                exportText, exportMarkdown, exportHtml, print, new SeparatorMenuItem(), copy,
                new SeparatorMenuItem(), workOffline, new SeparatorMenuItem(), close, quit);

        // Undo and redo are the crdt's: RichTextFX's own would undo other people's typing.
        Menu edit = new Menu("_Edit", null);
        edit.getItems().addAll(commands.editItems());
        MenuItem findItem = item("Find…", null, () -> find.show(false));
        findItem.setAccelerator(FIND);
        MenuItem replaceItem = editsOnly(item("Replace…", null, () -> find.show(true)));
        replaceItem.setAccelerator(REPLACE);
        edit.getItems().addAll(new SeparatorMenuItem(),
                editsOnly(item("Cut", "Shortcut+X", binding::cut)),
                item("Copy", "Shortcut+C", binding::copy),
                editsOnly(item("Paste", "Shortcut+V", binding::paste)),
                new SeparatorMenuItem(), findItem, replaceItem,
                new SeparatorMenuItem(),
                item("Select all", "Shortcut+A", area::selectAll));
        Menu format = commands.formatMenu();
        // A viewer's window: nothing to format; nor while history shows a past version (read-only).
        format.disableProperty().bind(area.editableProperty().not().or(history.viewingProperty()));
        commands.toolbar.disableProperty().bind(area.editableProperty().not().or(history.viewingProperty()));
        MenuItem about = item("About Tandem", null, this::showAbout);
        about.setId("menu-about");
        Menu help = new Menu("_Help", null, about);
        MenuBar bar = new MenuBar(file, edit, format, createViewMenu(), createRoomMenu(), help);
        bar.setUseSystemMenuBar(true);
        return bar;
    }

    /** Help > About: the product's version (the one {@code --version} prints) and the runtime it runs on. */
    private void showAbout() {
        Alert about = new Alert(Alert.AlertType.INFORMATION);
        about.initOwner(stage);
        about.setTitle("About Tandem");
        about.setHeaderText(aboutHeader());
        about.setContentText("A real-time collaborative text editor.\n\nJava " + System.getProperty("java.version")
                + ", JavaFX " + System.getProperty("javafx.runtime.version", "?"));
        about.getDialogPane().setId("about-dialog");
        about.show();
    }

    static String aboutHeader() {
        return "Tandem " + TandemVersion.get();
    }

    /** View: the history panel and the authors' tints, then theme and zoom ({@link Look}). */
    private Menu createViewMenu() {
        CheckMenuItem historyItem = new CheckMenuItem("History");
        historyItem.setId("menu-history");
        historyItem.setAccelerator(HISTORY);
        historyItem.selectedProperty().bindBidirectional(historyOpen);
        historyOpen.addListener((obs, o, on) -> history.setOpen(on));
        history.openProperty().addListener((obs, o, on) -> historyOpen.set(on));
        CheckMenuItem authors = new CheckMenuItem("Show authors");
        authors.setId("menu-show-authors");
        authors.selectedProperty().bindBidirectional(history.showAuthors.selectedProperty());
        Menu view = new Menu("_View", null, historyItem, authors, new SeparatorMenuItem());
        view.setId("menu-view");
        view.getItems().addAll(look.viewMenuItems());
        return view;
    }

    private final javafx.beans.property.BooleanProperty historyOpen = new javafx.beans.property.SimpleBooleanProperty(false);

    /** Room: the invites (enabled when this process hosts the room, see {@link #setInviter}). */
    private Menu createRoomMenu() {
        editorInviteItem.setOnAction(e -> copyNewInvite(false));
        viewerInviteItem.setOnAction(e -> copyNewInvite(true));
        MenuItem address = item("Copy room address", null, this::copyInvite);
        return new Menu("_Room", null, editorInviteItem, viewerInviteItem, new SeparatorMenuItem(), address);
    }

    /** An edit: off while the editor is read-only (a viewer's window). */
    private MenuItem editsOnly(MenuItem item) {
        item.disableProperty().bind(area.editableProperty().not());
        return item;
    }

    private static MenuItem item(String text, String accelerator, Runnable action) {
        MenuItem item = new MenuItem(text);
        if (accelerator != null) item.setAccelerator(KeyCombination.keyCombination(accelerator));
        item.setOnAction(e -> action.run());
        return item;
    }

    private VBox createInviteBar() {
        Label title = new Label(address.room());
        title.getStyleClass().add("room-title");
        title.setMinWidth(40);
        title.setMaxWidth(240); // a 64-character room name is cut ("...") here; the window title has it whole
        TextField invite = new TextField(address.invite());
        invite.setId("invite-field");
        invite.setEditable(false);
        invite.setFocusTraversable(false);
        invite.setTooltip(new Tooltip("Send this address to people you want to edit with"));
        HBox.setHgrow(invite, Priority.ALWAYS);
        Button copy = copyButton;
        copy.setId("copy-invite");
        copy.setFocusTraversable(false);
        copy.setMinWidth(Region.USE_PREF_SIZE);
        copy.setOnAction(e -> copyInvite());
        copiedFor.setOnFinished(e -> copy.setText(COPY_INVITE));
        copyEditorInvite.setId("copy-editor-invite");
        copyViewerInvite.setId("copy-viewer-invite");
        for (Button b : List.of(copyEditorInvite, copyViewerInvite)) {
            b.setFocusTraversable(false);
            b.setMinWidth(Region.USE_PREF_SIZE);
        }
        copyEditorInvite.setOnAction(e -> copyNewInvite(false));
        copyViewerInvite.setOnAction(e -> copyNewInvite(true));
        inviteCopiedFor.setOnFinished(e -> {
            copyEditorInvite.setText(COPY_EDITOR_INVITE);
            copyViewerInvite.setText(COPY_VIEWER_INVITE);
        });
        setInviter(null);
        HBox row = new HBox(10, title, invite, copy, copyEditorInvite, copyViewerInvite);
        row.setAlignment(Pos.CENTER_LEFT);
        row.getStyleClass().add("invite-bar");
        hostBanner.setId("host-banner");
        hostBanner.getStyleClass().add("host-banner");
        hostBanner.setMaxWidth(Double.MAX_VALUE);
        setHostBanner(null);
        viewOnlyBanner.setId("view-only-banner");
        viewOnlyBanner.getStyleClass().add("view-only-banner");
        viewOnlyBanner.setMaxWidth(Double.MAX_VALUE);
        setViewOnly(false);
        return new VBox(row, hostBanner, viewOnlyBanner);
    }

    private VBox createSidebar() {
        Label header = new Label();
        header.getStyleClass().add("sidebar-header");
        header.textProperty().bind(Bindings.createStringBinding(presence::summary, presence.rows()));
        ListView<PresenceViewModel.Row> list = new ListView<>(presence.rows());
        list.setId("presence-list");
        list.setFocusTraversable(false);
        list.setCellFactory(lv -> new PersonCell());
        // Clicking someone scrolls to their cursor; it does not move yours.
        list.setOnMouseClicked(e -> {
            PresenceViewModel.Row row = list.getSelectionModel().getSelectedItem();
            if (row != null) scrollToPeer(row.id());
            list.getSelectionModel().clearSelection();
        });
        VBox.setVgrow(list, Priority.ALWAYS);
        VBox box = new VBox(header, list);
        box.getStyleClass().add("sidebar");
        box.setPrefWidth(220);
        return box;
    }

    /**
     * Scrolls so that a peer's caret is in view, a third of the way down, and shows their name. Exact
     * for wrapped paragraphs taller than the window: the paragraph is brought to the top and laid
     * out, which says where the caret's line is inside it, and then that region of the paragraph is
     * shown ({@code showParagraphRegion} works in the paragraph's own coordinates; scrolling by
     * pixels would go through estimated heights and land hundreds of pixels off).
     */
    void scrollToPeer(String id) {
        OptionalInt pos = cursors.positionOf(id);
        if (pos.isEmpty()) return;
        int par = area.offsetToPosition(pos.getAsInt(), TwoDimensional.Bias.Forward).getMajor();
        area.showParagraphAtTop(par);
        // Asking for bounds lays the editor out, with that paragraph at the top.
        Optional<Bounds> caret = cursors.caretBoundsOnScreen(id);
        Optional<Bounds> paragraph = area.getParagraphBoundsOnScreen(par);
        if (caret.isPresent() && paragraph.isPresent()) {
            double height = area.getHeight();
            double top = Math.max(0, caret.get().getMinY() - paragraph.get().getMinY() - height / 3);
            area.showParagraphRegion(par, new BoundingBox(0, top, 1, height));
        }
        cursors.reveal(id);
    }

    private static final class PersonCell extends ListCell<PresenceViewModel.Row> {
        private final Circle swatch = new Circle(6);
        private final Label name = new Label();
        private final Label activity = new Label();
        private final HBox box;

        PersonCell() {
            name.getStyleClass().add("person-name");
            activity.getStyleClass().add("person-activity");
            Region gap = new Region();
            HBox.setHgrow(gap, Priority.ALWAYS);
            box = new HBox(8, swatch, name, gap, activity);
            box.setAlignment(Pos.CENTER_LEFT);
            name.setMinWidth(0); // a long name is cut ("..."), never the activity
            activity.setMinWidth(Region.USE_PREF_SIZE);
            setPrefWidth(0); // as wide as the list, never wider: no horizontal scroll bar for a long name
            getStyleClass().add("person-cell");
        }

        @Override
        protected void updateItem(PresenceViewModel.Row row, boolean empty) {
            super.updateItem(row, empty);
            if (empty || row == null) {
                setGraphic(null);
                setText(null);
                return;
            }
            swatch.setFill(UserColors.toColor(row.color()));
            name.setText(row.label());
            activity.setText(row.activity());
            activity.pseudoClassStateChanged(PseudoClass.getPseudoClass("typing"), row.typing());
            activity.pseudoClassStateChanged(PseudoClass.getPseudoClass("idle"), !row.active() && !row.typing());
            setText(null);
            setGraphic(box);
        }
    }

    private HBox createStatusBar() {
        Label connection = statusLabel("status-connection");
        connection.getStyleClass().add("connection");
        status.connectionProperty().addListener((obs, old, state) -> showConnection(connection, state));
        showConnection(connection, status.connectionProperty().get());
        Label error = new Label();
        error.setId("status-error");
        error.getStyleClass().add("error");
        error.textProperty().bind(status.errorTextProperty());
        Tooltip errorTip = new Tooltip();
        errorTip.textProperty().bind(status.errorTextProperty());
        error.setTooltip(errorTip);
        error.setMinWidth(0); // the first to give way: cut to "...", whole in its tooltip
        error.setMaxWidth(Double.MAX_VALUE);
        HBox.setHgrow(error, Priority.ALWAYS);
        StatusBar bar = new StatusBar(connection, statusLabel("status-unsent"), error, statusLabel("status-room"),
                statusLabel("status-words"), statusLabel("status-length"));
        bar.setAlignment(Pos.CENTER_LEFT);
        bar.getStyleClass().add("status-bar");
        for (ReadOnlyStringProperty p : List.of(status.connectionTextProperty(), status.connectionShortTextProperty(),
                status.unsentTextProperty(), status.unsentShortTextProperty(), status.roomTextProperty(),
                status.lengthTextProperty(), status.lengthShortTextProperty(), status.errorTextProperty(),
                status.wordsTextProperty(), status.wordsShortTextProperty())) {
            p.addListener((obs, old, text) -> bar.requestLayout());
        }
        return bar;
    }

    /**
     * The status bar. Its items never show "...". When everything does not fit, the least important
     * gives way first: the room name goes (the invite bar and the title show it), then every item
     * switches to its short form ("Retry in 5 s", "3 unsent", "1,234 chars"). The last error takes
     * the width left, cut if it must be (its tooltip has it whole), but it may claim up to
     * {@link #ERROR_WANTS} before the others shorten. Decided on each layout, from the width there is
     * and the texts' real widths.
     */
    private final class StatusBar extends HBox {
        private static final double ERROR_WANTS = 280; // what an error may claim before the others shorten
        private final Label connection, unsent, error, room, words, length;

        StatusBar(Label connection, Label unsent, Label error, Label room, Label words, Label length) {
            super(16, connection, unsent, error, room, words, length);
            this.words = words;
            this.connection = connection;
            this.unsent = unsent;
            this.error = error;
            this.room = room;
            this.length = length;
        }

        @Override
        protected void layoutChildren() {
            double width = getWidth() - snappedLeftInset() - snappedRightInset();
            for (int level = 0; level < 3 && !fits(level, width); level++) {
                // try the next, shorter level
            }
            super.layoutChildren();
        }

        /** Shows the texts of {@code level} (0 long, 1 long without the room, 2 short without it); true if they fit. */
        private boolean fits(int level, double width) {
            boolean full = level < 2;
            connection.setText(full ? status.connectionTextProperty().get() : status.connectionShortTextProperty().get());
            unsent.setText(full ? status.unsentTextProperty().get() : status.unsentShortTextProperty().get());
            length.setText(full ? status.lengthTextProperty().get() : status.lengthShortTextProperty().get());
            words.setText(full ? status.wordsTextProperty().get() : status.wordsShortTextProperty().get());
            room.setText(status.roomTextProperty().get());
            room.setVisible(level == 0);
            room.setManaged(level == 0);
            double needed = 0;
            int items = 0;
            for (Label l : List.of(connection, unsent, room, words, length)) {
                if (!l.isManaged()) continue;
                needed += l.prefWidth(-1);
                items++;
            }
            if (!error.getText().isEmpty()) {
                needed += Math.min(error.prefWidth(-1), ERROR_WANTS);
                items++;
            }
            return level == 2 || needed + getSpacing() * Math.max(0, items - 1) <= width;
        }
    }

    private static void showConnection(Label label, StatusViewModel.Connection state) {
        label.pseudoClassStateChanged(CONNECTED, state == StatusViewModel.Connection.CONNECTED);
        label.pseudoClassStateChanged(CONNECTING, state == StatusViewModel.Connection.CONNECTING);
        label.pseudoClassStateChanged(OFFLINE, state == StatusViewModel.Connection.OFFLINE);
    }

    /** A status item: never cut, its text set by {@link StatusBar} (long or short form). */
    private static Label statusLabel(String id) {
        Label l = new Label();
        l.setId(id);
        l.setMinWidth(Region.USE_PREF_SIZE);
        return l;
    }

    /** How long the button says "Copied!"; tests lengthen it so what they check does not depend on their speed. */
    void setCopiedFeedback(Duration d) {
        copiedFor.setDuration(d);
    }

    /** Copies the invite address; the button says "Copied!" for two seconds, whichever way it was asked for. */
    void copyInvite() {
        ClipboardContent content = new ClipboardContent();
        content.putString(address.invite());
        Clipboard.getSystemClipboard().setContent(content);
        copyButton.setText(COPIED);
        copiedFor.playFromStart();
    }

    /**
     * Who mints invites to this room, or null when this process cannot (a room it joined): then the
     * invite bar offers the plain address, else the two invites instead.
     */
    void setInviter(Inviter inviter) {
        this.inviter = inviter;
        boolean hosted = inviter != null;
        copyEditorInvite.setVisible(hosted);
        copyEditorInvite.setManaged(hosted);
        copyViewerInvite.setVisible(hosted);
        copyViewerInvite.setManaged(hosted);
        copyButton.setVisible(!hosted);
        copyButton.setManaged(!hosted);
        editorInviteItem.setDisable(!hosted);
        viewerInviteItem.setDisable(!hosted);
    }

    /** Mints an invite and copies it; its button says "Copied!" for two seconds, or the status bar why it failed. */
    void copyNewInvite(boolean viewer) {
        if (inviter == null) return;
        Button button = viewer ? copyViewerInvite : copyEditorInvite;
        inviter.invite(viewer).whenCompleteAsync((invite, error) -> {
            if (error != null) {
                status.setNotice("Could not make an invite: " + TandemApp.describe(error));
                return;
            }
            ClipboardContent content = new ClipboardContent();
            content.putString(invite);
            Clipboard.getSystemClipboard().setContent(content);
            button.setText(COPIED);
            inviteCopiedFor.playFromStart();
        }, FxThread.EXECUTOR);
    }

    private void countWords() {
        var sel = area.getSelection();
        String selected = sel.getLength() == 0 ? "" : area.getSelectedText();
        status.setWords(StatusViewModel.countWords(area.getText()), StatusViewModel.countWords(selected), sel.getLength());
    }

    void dispose() {
        wordCount.stop();
        ticker.stop();
        copiedFor.stop();
        inviteCopiedFor.stop();
        cursors.dispose();
        look.dispose();
        history.dispose();
        binding.dispose();
    }
}
