package dev.tandem.client;

import dev.tandem.crdt.Formats;
import javafx.scene.Node;
import javafx.scene.control.ButtonBase;
import javafx.scene.control.Menu;
import javafx.scene.control.MenuItem;
import javafx.scene.control.Separator;
import javafx.scene.control.SeparatorMenuItem;
import javafx.scene.control.TextInputDialog;
import javafx.scene.control.ToggleButton;
import javafx.scene.control.ToolBar;
import javafx.scene.control.Tooltip;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyCodeCombination;
import javafx.scene.input.KeyCombination;
import javafx.scene.input.KeyEvent;
import javafx.scene.input.MouseButton;
import javafx.scene.input.MouseEvent;
import org.fxmisc.richtext.StyleClassedTextArea;
import org.fxmisc.wellbehaved.event.EventPattern;
import org.fxmisc.wellbehaved.event.InputMap;
import org.fxmisc.wellbehaved.event.Nodes;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The editor's commands: undo and redo, marks, paragraph styles, links, clear formatting. One
 * list feeds the Edit and Format menus, the toolbar (whose tooltips name the shortcut) and the
 * editor's own key map (the editor consumes its shortcuts, so a menu accelerator never fires
 * twice; the menu's accelerators work when the focus is elsewhere).
 *
 * <p>Threading: FX thread only.
 */
final class EditorCommands {
    /** One command: its name, shortcut (null: none) and what it does. */
    record Command(String id, String name, KeyCombination shortcut, Runnable action) {}

    private final StyleClassedTextArea area;
    private final EditorBinding binding;
    private final Consumer<String> openLink;
    private final Map<String, Command> commands = new LinkedHashMap<>();
    private final Map<String, ToggleButton> markButtons = new LinkedHashMap<>();
    private final Map<String, ToggleButton> blockButtons = new LinkedHashMap<>();
    final ToolBar toolbar = new ToolBar();

    EditorCommands(StyleClassedTextArea area, EditorBinding binding, Consumer<String> openLink) {
        this.area = area;
        this.binding = binding;
        this.openLink = openLink;
        add("undo", "Undo", "Shortcut+Z", binding::undo);
        add("redo", "Redo", "Shortcut+Shift+Z", binding::redo);
        add("redo-y", "Redo", "Shortcut+Y", binding::redo);
        add("bold", "Bold", "Shortcut+B", () -> binding.toggleMark(Formats.BOLD));
        add("italic", "Italic", "Shortcut+I", () -> binding.toggleMark(Formats.ITALIC));
        add("underline", "Underline", "Shortcut+U", () -> binding.toggleMark(Formats.UNDERLINE));
        add("strikethrough", "Strikethrough", "Shortcut+Shift+X", () -> binding.toggleMark(Formats.STRIKETHROUGH));
        add("code", "Inline code", "Shortcut+Shift+M", () -> binding.toggleMark(Formats.CODE));
        add("link", "Link…", "Shortcut+K", this::editLink);
        add("normal", "Normal text", "Shortcut+Alt+0", () -> binding.setBlock(null, false));
        add("h1", "Heading 1", "Shortcut+Alt+1", () -> binding.setBlock("h1", false));
        add("h2", "Heading 2", "Shortcut+Alt+2", () -> binding.setBlock("h2", false));
        add("h3", "Heading 3", "Shortcut+Alt+3", () -> binding.setBlock("h3", false));
        add("numbered", "Numbered list", "Shortcut+Shift+7", () -> binding.setBlock("numbered", true));
        add("bullet", "Bulleted list", "Shortcut+Shift+8", () -> binding.setBlock("bullet", true));
        add("quote", "Quote", "Shortcut+Shift+9", () -> binding.setBlock("quote", true));
        add("code-block", "Code block", "Shortcut+Alt+C", () -> binding.setBlock("code", true));
        add("clear", "Clear formatting", new KeyCodeCombination(KeyCode.BACK_SLASH, KeyCombination.SHORTCUT_DOWN), binding::clearFormatting);

        // The editor's key map: its shortcuts first, then Tab/Shift+Tab indenting list items.
        List<InputMap<KeyEvent>> maps = new ArrayList<>();
        for (Command c : commands.values()) {
            maps.add(InputMap.consume(EventPattern.keyPressed(c.shortcut()), e -> c.action().run()));
        }
        // The clipboard carries formatting (RichClipboard): RichTextFX's own copy and paste would drop it.
        maps.add(InputMap.consume(EventPattern.keyPressed(KeyCode.C, KeyCombination.SHORTCUT_DOWN), e -> binding.copy()));
        maps.add(InputMap.consume(EventPattern.keyPressed(KeyCode.INSERT, KeyCombination.SHORTCUT_DOWN), e -> binding.copy()));
        maps.add(InputMap.consume(EventPattern.keyPressed(KeyCode.X, KeyCombination.SHORTCUT_DOWN), e -> binding.cut()));
        maps.add(InputMap.consume(EventPattern.keyPressed(KeyCode.DELETE, KeyCombination.SHIFT_DOWN), e -> binding.cut()));
        maps.add(InputMap.consume(EventPattern.keyPressed(KeyCode.V, KeyCombination.SHORTCUT_DOWN), e -> binding.paste()));
        maps.add(InputMap.consume(EventPattern.keyPressed(KeyCode.INSERT, KeyCombination.SHIFT_DOWN), e -> binding.paste()));
        maps.add(InputMap.consumeWhen(EventPattern.keyPressed(KeyCode.TAB), binding::selectionHasListItem, e -> binding.indent(1)));
        maps.add(InputMap.consumeWhen(EventPattern.keyPressed(KeyCode.TAB, KeyCombination.SHIFT_DOWN), binding::selectionHasListItem, e -> binding.indent(-1)));
        @SuppressWarnings("unchecked")
        InputMap<KeyEvent>[] all = maps.toArray(new InputMap[0]);
        Nodes.addInputMap(area, InputMap.sequence(all));
        // Ctrl+click (Cmd+click) on a link opens it.
        area.addEventFilter(MouseEvent.MOUSE_CLICKED, e -> {
            if (e.getButton() != MouseButton.PRIMARY || !e.isShortcutDown()) return;
            int pos = area.hit(e.getX(), e.getY()).getCharacterIndex().orElse(-1);
            if (pos < 0 || pos >= binding.doc().length()) return;
            String url = binding.doc().runs(pos, pos + 1).get(0).marks().get(Formats.LINK);
            if (url != null && isSafeLink(url)) {
                openLink.accept(url);
                e.consume();
            }
        });
        buildToolbar();
        area.caretPositionProperty().addListener((obs, o, n) -> showStateAtCaret());
        area.selectionProperty().addListener((obs, o, n) -> showStateAtCaret());
        binding.addDocListener(this::showStateAtCaret);
        showStateAtCaret();
    }

    private void add(String id, String name, String shortcut, Runnable action) {
        add(id, name, KeyCombination.keyCombination(shortcut), action);
    }

    private void add(String id, String name, KeyCombination shortcut, Runnable action) {
        commands.put(id, new Command(id, name, shortcut, () -> {
            action.run();
            area.requestFocus();
        }));
    }

    Command command(String id) {
        return commands.get(id);
    }

    /** Runs a command as its shortcut or menu entry would. */
    void run(String id) {
        commands.get(id).action().run();
    }

    private MenuItem item(String id) {
        Command c = commands.get(id);
        MenuItem item = new MenuItem(c.name());
        item.setId("menu-" + id);
        item.setAccelerator(c.shortcut());
        item.setOnAction(e -> c.action().run());
        return item;
    }

    /** Undo and redo, for the Edit menu. */
    List<MenuItem> editItems() {
        return List.of(item("undo"), item("redo"));
    }

    /** The Format menu. */
    Menu formatMenu() {
        return new Menu("F_ormat", null, item("bold"), item("italic"), item("underline"), item("strikethrough"), item("code"),
                item("link"), new SeparatorMenuItem(), item("normal"), item("h1"), item("h2"), item("h3"),
                new SeparatorMenuItem(), item("bullet"), item("numbered"), item("quote"), item("code-block"),
                new SeparatorMenuItem(), item("clear"));
    }

    private void buildToolbar() {
        toolbar.setId("format-toolbar");
        toolbar.getStyleClass().add("format-toolbar");
        for (String[] m : new String[][] {{"bold", "B", Formats.BOLD}, {"italic", "I", Formats.ITALIC},
                {"underline", "U", Formats.UNDERLINE}, {"strikethrough", "S", Formats.STRIKETHROUGH}, {"code", "</>", Formats.CODE}}) {
            ToggleButton b = button(m[0], m[1]);
            markButtons.put(m[2], b);
        }
        ToggleButton link = button("link", "Link");
        markButtons.put(Formats.LINK, link);
        toolbar.getItems().add(new Separator());
        for (String[] p : new String[][] {{"h1", "H1", "h1"}, {"h2", "H2", "h2"}, {"h3", "H3", "h3"},
                {"bullet", "• List", "bullet"}, {"numbered", "1. List", "numbered"}, {"quote", "❝ Quote", "quote"}, {"code-block", "{ } Code", "code"}}) {
            blockButtons.put(p[2], button(p[0], p[1]));
        }
        toolbar.getItems().add(new Separator());
        button("clear", "Clear");
    }

    private ToggleButton button(String id, String label) {
        Command c = commands.get(id);
        ToggleButton b = new ToggleButton(label);
        b.setId("tool-" + id);
        b.getStyleClass().add("tool-" + id);
        b.setFocusTraversable(false);
        b.setTooltip(new Tooltip(c.name() + " (" + c.shortcut().getDisplayText() + ")"));
        // The button shows the state at the caret; clicking runs the command, which then sets it.
        b.setOnAction(e -> {
            c.action().run();
            showStateAtCaret();
        });
        toolbar.getItems().add(b);
        return b;
    }

    /** Buttons show the marks and paragraph style at the caret. */
    private void showStateAtCaret() {
        if (area.getLength() != binding.doc().length()) return; // mid-change
        Map<String, String> marks = binding.marksAtCaret();
        markButtons.forEach((key, b) -> b.setSelected(marks.containsKey(key)));
        String block = binding.paragraphAtCaret().get(Formats.BLOCK);
        blockButtons.forEach((value, b) -> b.setSelected(value.equals(block)));
    }

    ButtonBase toolButton(String id) {
        return (ButtonBase) toolbar.getItems().stream().filter(n -> ("tool-" + id).equals(n.getId())).findFirst().orElseThrow();
    }

    /** Asks for the link of the selection (prefilled with the one there); empty removes it. */
    private void editLink() {
        var sel = area.getSelection();
        if (sel.getLength() == 0) return;
        String had = binding.marksAtCaret().get(Formats.LINK);
        TextInputDialog dialog = new TextInputDialog(had == null ? "https://" : had);
        dialog.setTitle("Link");
        dialog.setHeaderText("Link for \"" + shorten(area.getSelectedText()) + "\" (empty removes it)");
        dialog.getEditor().setId("link-field");
        if (area.getScene() != null) dialog.initOwner(area.getScene().getWindow());
        Optional<String> answer = dialog.showAndWait();
        if (answer.isEmpty()) return;
        String url = answer.get().strip();
        if (url.isEmpty()) {
            binding.mark(sel.getStart(), sel.getEnd(), Formats.LINK, null);
        } else if (isSafeLink(url)) {
            binding.mark(sel.getStart(), sel.getEnd(), Formats.LINK, url);
        }
    }

    private static String shorten(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }

    /**
     * Links are set by anyone in the room and opened in the system browser: only web and mail
     * addresses, never {@code file:}, {@code javascript:} or an application's own scheme.
     */
    static boolean isSafeLink(String url) {
        if (url.length() > 2048) return false;
        try {
            URI uri = new URI(url);
            String scheme = uri.getScheme();
            if (scheme == null) return false;
            return switch (scheme.toLowerCase(Locale.ROOT)) {
                case "http", "https" -> uri.getHost() != null;
                case "mailto" -> true;
                default -> false;
            };
        } catch (Exception e) {
            return false;
        }
    }

    Node toolbar() {
        return toolbar;
    }
}
