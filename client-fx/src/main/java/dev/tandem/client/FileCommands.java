package dev.tandem.client;

import dev.tandem.sync.LocalStore;
import javafx.scene.control.Alert;
import javafx.scene.control.TextInputDialog;
import javafx.stage.FileChooser;
import javafx.stage.Stage;
import javafx.stage.Window;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The File menu's document commands: export (plain text, Markdown, HTML), import a file into a
 * new room or at the caret, and print. The window only wires menu items to these.
 *
 * <p>The document is copied ({@link FormattedText#of}) on the FX thread, which owns the replica;
 * formatting, disk and page layout happen on {@code io}; the result comes back to the FX thread.
 * A file is written atomically (a temporary file renamed over it), so a failed export leaves the
 * old file as it was; every failure is shown in a dialog that says what went wrong.
 *
 * <p>Threading: the FX thread, except the work handed to {@code io}.
 */
final class FileCommands {
    /** The file dialogs, behind an interface so that tests can answer them. */
    interface Picker {
        /** The file to write, or null if the user cancelled. */
        File save(Window owner, String title, String initialName, FileChooser.ExtensionFilter filter);

        /** The file to read, or null if the user cancelled. */
        File open(Window owner, String title, List<FileChooser.ExtensionFilter> filters);
    }

    /** The platform's file dialogs. */
    static final Picker SYSTEM_DIALOGS = new Picker() {
        @Override public File save(Window owner, String title, String initialName, FileChooser.ExtensionFilter filter) {
            FileChooser chooser = new FileChooser();
            chooser.setTitle(title);
            chooser.setInitialFileName(initialName);
            chooser.getExtensionFilters().add(filter);
            return chooser.showSaveDialog(owner);
        }

        @Override public File open(Window owner, String title, List<FileChooser.ExtensionFilter> filters) {
            FileChooser chooser = new FileChooser();
            chooser.setTitle(title);
            chooser.getExtensionFilters().addAll(filters);
            return chooser.showOpenDialog(owner);
        }
    };

    /** What export writes. */
    enum Format {
        TEXT("Plain text", "txt"),
        MARKDOWN("Markdown", "md"),
        HTML("HTML", "html");

        final String label;
        final String extension;

        Format(String label, String extension) {
            this.label = label;
            this.extension = extension;
        }
    }

    /** Where an imported file goes. */
    interface NewRoomOpener {
        /** Opens a new room named {@code room} holding {@code content} (FX thread). */
        void open(String room, FormattedText content);
    }

    private static final List<FileChooser.ExtensionFilter> IMPORTABLE = List.of(
            new FileChooser.ExtensionFilter("Text and Markdown", "*.txt", "*.md", "*.markdown"),
            new FileChooser.ExtensionFilter("All files", "*"));

    private final Stage stage;
    private final String room;
    private final EditorBinding binding;
    private final Executor io;
    private final NewRoomOpener newRoom;
    private Picker picker = SYSTEM_DIALOGS; // FX thread

    FileCommands(Stage stage, String room, EditorBinding binding, Executor io, NewRoomOpener newRoom) {
        this.stage = stage;
        this.room = room;
        this.binding = binding;
        this.io = io;
        this.newRoom = newRoom;
    }

    void setPicker(Picker picker) {
        this.picker = picker;
    }

    // ---------------------------------------------------------------- export

    /** Asks where, then exports the document as {@code format} (FX thread). */
    void export(Format format) {
        String name = safeFileName(room) + "." + format.extension;
        File target = picker.save(stage, "Export as " + format.label,
                name, new FileChooser.ExtensionFilter(format.label + " (*." + format.extension + ")", "*." + format.extension));
        if (target != null) exportTo(format, target.toPath());
    }

    /**
     * Writes the document, as it is now, to {@code target} in {@code format}; completes on the FX
     * thread, after a failure has been shown.
     */
    CompletableFuture<Void> exportTo(Format format, Path target) {
        FormattedText snapshot = FormattedText.of(binding.doc());
        return CompletableFuture.runAsync(() -> {
            String content = switch (format) {
                case TEXT -> snapshot.plainText();
                case MARKDOWN -> MarkdownExport.write(snapshot);
                case HTML -> HtmlExport.write(snapshot, room);
            };
            try {
                LocalStore.writeShared(target, content.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, io).whenCompleteAsync((ok, error) -> {
            if (error != null) showError("Could not export to " + target.getFileName(), describeWriteError(error, target));
        }, FxThread.EXECUTOR);
    }

    /** What went wrong writing {@code target}, for people: the file system's reason, not a class name. */
    static String describeWriteError(Throwable error, Path target) {
        Throwable e = error;
        while ((e instanceof java.util.concurrent.CompletionException || e instanceof UncheckedIOException) && e.getCause() != null) e = e.getCause();
        String where = target.toAbsolutePath().toString();
        if (e instanceof java.nio.file.AccessDeniedException) return "You may not write to " + where + ".";
        if (e instanceof java.nio.file.FileSystemException fs) {
            return "Cannot write " + where + (fs.getReason() != null ? ": " + fs.getReason() + "." : ".");
        }
        return "Cannot write " + where + ": " + TandemApp.describe(e);
    }

    static String safeFileName(String room) {
        return room.replaceAll("[^\\p{L}\\p{N} ._-]+", "_");
    }

    // ---------------------------------------------------------------- import

    /** Asks for a file, then inserts it at the caret (replacing the selection), as one undo step (FX thread). */
    void insertFile() {
        File file = picker.open(stage, "Insert file", IMPORTABLE);
        if (file != null) insertFrom(file.toPath());
    }

    /** Reads {@code file} off the FX thread, then inserts it at the caret; completes on the FX thread. */
    CompletableFuture<Void> insertFrom(Path file) {
        return read(file).thenAccept(text -> {
            if (text != null) binding.insert(text.toFragment());
        });
    }

    /** Asks for a file, then for the name of a new room to put it in (FX thread). */
    void importIntoNewRoom() {
        File file = picker.open(stage, "Import into new room", IMPORTABLE);
        if (file == null) return;
        read(file.toPath()).thenAccept(text -> {
            if (text == null) return;
            String suggested = roomNameFor(file.getName());
            TextInputDialog ask = new TextInputDialog(suggested);
            ask.initOwner(stage);
            ask.setTitle("Import into new room");
            ask.setHeaderText("Name of the new room for " + file.getName());
            ask.getEditor().setId("import-room-name");
            Optional<String> name = ask.showAndWait();
            if (name.isEmpty()) return;
            try {
                newRoom.open(RoomAddress.checkRoom(name.get().strip()), text);
            } catch (IllegalArgumentException e) {
                showError("Cannot import into that room", e.getMessage());
            }
        });
    }

    /**
     * Puts an imported file into the room {@code session} has just opened, once the room's
     * state has come from the hub (or after 10 s, offline: then the local copy decides), and
     * only if the room is empty: an import never merges into a room that has text (FX thread).
     */
    static CompletableFuture<Void> fillNewRoom(RoomSession session, FormattedText content) {
        String room = session.address.room();
        return session.sync().synced()
                .thenCompose(synced -> session.sync().text())
                .completeOnTimeout(null, 10, java.util.concurrent.TimeUnit.SECONDS)
                .thenAcceptAsync(hubText -> {
                    if ((hubText == null || hubText.isEmpty()) && session.window.binding.doc().length() == 0) {
                        session.window.binding.insert(content.toFragment());
                        return;
                    }
                    Alert refused = new Alert(Alert.AlertType.ERROR, "Room " + room
                            + " has text already: the file was not added to it. Import it into a new room, or use Insert file.");
                    refused.initOwner(session.window.stage);
                    refused.setHeaderText("Could not import into " + room);
                    refused.getDialogPane().setId("import-refused");
                    refused.getDialogPane().getStylesheets().add(TandemApp.stylesheet());
                    refused.show();
                }, FxThread.EXECUTOR);
    }

    /** A room name from a file name: its stem, with what a room name cannot hold replaced. */
    static String roomNameFor(String fileName) {
        int dot = fileName.lastIndexOf('.');
        String stem = dot > 0 ? fileName.substring(0, dot) : fileName;
        String name = stem.replaceAll("[^A-Za-z0-9_ .-]+", "-").replaceAll("^[ .]+|[ .]+$", "");
        if (name.length() > 64) name = name.substring(0, 64).strip();
        return name.isEmpty() ? "imported" : name;
    }

    /** The file's formatted text, read and parsed on {@code io}; null (on the FX thread) once a refusal has been shown. */
    private CompletableFuture<FormattedText> read(Path file) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return FileImport.read(file);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, io).handleAsync((text, error) -> {
            if (error == null) return text;
            Throwable e = error.getCause() instanceof UncheckedIOException u ? u.getCause() : error.getCause() != null ? error.getCause() : error;
            String message = e instanceof FileImport.RefusedException ? e.getMessage() : TandemApp.describe(e);
            showError("Could not import " + file.getFileName(), message);
            return null;
        }, FxThread.EXECUTOR);
    }

    // ---------------------------------------------------------------- print

    /**
     * Prints the document with its formatting: the system's print dialog (FX thread), then the
     * pages laid out for the chosen paper and printed on a thread of their own (a long document
     * takes a while, and a printer may block).
     */
    void print() {
        javafx.print.PrinterJob job = javafx.print.PrinterJob.createPrinterJob();
        if (job == null) {
            showError("Cannot print", "No printer is set up on this computer.");
            return;
        }
        if (!job.showPrintDialog(stage)) {
            job.cancelJob();
            return;
        }
        javafx.print.PageLayout page = job.getJobSettings().getPageLayout();
        FormattedText snapshot = FormattedText.of(binding.doc());
        job.getJobSettings().setJobName(room);
        CompletableFuture.runAsync(() -> {
            double width = page.getPrintableWidth();
            for (PrintLayout.Page p : PrintLayout.paginate(snapshot, width, page.getPrintableHeight())) {
                if (!job.printPage(page, PrintLayout.render(snapshot, p, width))) throw new IllegalStateException("the printer refused a page (" + job.getJobStatus() + ")");
            }
            if (!job.endJob()) throw new IllegalStateException("the print job did not finish (" + job.getJobStatus() + ")");
        }, r -> {
            Thread t = new Thread(r, "tandem-print");
            t.setDaemon(true);
            t.start();
        }).whenCompleteAsync((ok, error) -> {
            if (error != null) {
                job.cancelJob();
                showError("Could not print", TandemApp.describe(error));
            }
        }, FxThread.EXECUTOR);
    }

    // ---------------------------------------------------------------- dialogs

    private void showError(String header, String message) {
        Alert alert = new Alert(Alert.AlertType.ERROR, message);
        alert.initOwner(stage);
        alert.setHeaderText(header);
        alert.getDialogPane().setId("file-error");
        alert.getDialogPane().getStylesheets().add(TandemApp.stylesheet());
        alert.show();
    }
}
