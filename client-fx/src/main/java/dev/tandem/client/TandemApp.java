package dev.tandem.client;

import javafx.application.Application;
import javafx.application.Platform;
import javafx.scene.control.Alert;
import javafx.stage.Stage;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The desktop client. Command line: see {@link LaunchOptions} ({@code --help}). Without a room on
 * the command line it shows the start screen; each room opens in its own window.
 */
public final class TandemApp extends Application {
    static final int DEFAULT_HOST_PORT = 7070;

    // Set in init() (launcher thread), then read on the FX thread.
    private LaunchOptions options;
    private Path dataDir;
    // FX thread only:
    private Settings settings;
    private final Map<RoomAddress, RoomSession> sessions = new LinkedHashMap<>();
    private CompletableFuture<EmbeddedHost> host; // null until someone hosts
    private final List<CompletableFuture<Void>> closing = new java.util.ArrayList<>();
    /** Disk and hub start/stop: never on the FX thread. One thread keeps settings writes in order. */
    private final ExecutorService io = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "tandem-io");
        t.setDaemon(true);
        return t;
    });

    static String stylesheet() {
        return TandemApp.class.getResource("tandem.css").toExternalForm();
    }

    @Override
    public void init() {
        options = LaunchOptions.parse(getParameters().getRaw().toArray(String[]::new));
        dataDir = options.dataDirOrDefault();
        Settings s = Settings.load(dataDir, UserColors.pick(new Random()));
        settings = new Settings(options.name != null ? options.name.strip() : s.name(),
                options.color != null ? options.color : s.color(),
                options.server != null ? options.serverUri().toString() : s.server(), s.recentRooms());
    }

    @Override
    public void start(Stage primary) {
        if (options.opensRoomDirectly()) {
            String name = settings.name().isBlank() ? "Anonymous" : settings.name();
            join(primary, new StartViewModel.JoinRequest(name, settings.color(), options.serverUri(),
                    RoomAddress.checkRoom(options.room), options.hostPort != null));
        } else {
            if (options.hostPort != null) ensureHost();
            showStartScreen(primary, options.hostPort != null);
        }
    }

    /** Data directory in use (settings, offline copies of rooms, hosted hub store). */
    Path dataDir() {
        return dataDir;
    }

    List<RoomSession> sessions() {
        return List.copyOf(sessions.values());
    }

    void showStartScreen(Stage stage, boolean hostChecked) {
        StartViewModel model = new StartViewModel(settings);
        model.host.set(hostChecked);
        if (options.room != null) model.room.set(options.room);
        StartScreen screen = new StartScreen(stage, model, request -> {
            stage.hide();
            join(new Stage(), request);
        });
        screen.stage.show();
    }

    private void join(Stage stage, StartViewModel.JoinRequest request) {
        settings = settings.withJoined(request.name(), request.color(),
                request.server() != null ? request.server().toString() : settings.server(), request.room());
        Settings toSave = settings;
        io.execute(() -> {
            try {
                toSave.save(dataDir);
            } catch (IOException e) {
                System.err.println("tandem: could not save settings: " + e);
            }
        });
        RoomSession.Identity me = new RoomSession.Identity(request.name(), request.color());
        if (!request.host()) {
            openRoom(stage, new RoomAddress(request.server(), request.room()), null, me);
            return;
        }
        ensureHost().whenCompleteAsync((h, error) -> {
            if (error != null) {
                showError("Could not host on this computer", rootCause(error));
                if (!anyWindowShowing()) showStartScreen(stage, true);
                return;
            }
            openRoom(stage, new RoomAddress(h.localServer(), request.room()), h, me);
        }, FxThread.EXECUTOR);
    }

    private void openRoom(Stage stage, RoomAddress address, EmbeddedHost hosted, RoomSession.Identity me) {
        RoomSession existing = sessions.get(address);
        if (existing != null) { // one window per room: two would fight over the offline copy
            existing.window.stage.toFront();
            existing.window.stage.requestFocus();
            return;
        }
        RoomAddress invite = hosted == null ? address : new RoomAddress(hosted.publicServer(), address.room());
        RoomSession.open(stage, address, invite, me, dataDir, io, actionsFor(stage))
                .whenCompleteAsync((session, error) -> {
                    if (error != null) {
                        showError("Could not open room " + address.room(), rootCause(error));
                        return;
                    }
                    sessions.put(address, session);
                    if (hosted != null) {
                        session.window.setHostBanner("Hosting on this computer: others join with " + invite.invite());
                    }
                    session.window.stage.addEventHandler(javafx.stage.WindowEvent.WINDOW_HIDDEN, e -> {
                        sessions.remove(address, session);
                        closing.add(session.close()); // stop() waits for it: the offline copy must reach the disk
                    });
                    session.window.stage.show();
                }, FxThread.EXECUTOR);
    }

    private RoomWindow.Actions actionsFor(Stage stage) {
        return new RoomWindow.Actions() {
            @Override public void joinRoom() {
                showStartScreen(new Stage(), false);
            }

            @Override public void host() {
                showStartScreen(new Stage(), true);
            }

            @Override public void exportText(File target, String text) {
                CompletableFuture.runAsync(() -> {
                    try {
                        AtomicFiles.write(target.toPath(), text.getBytes(StandardCharsets.UTF_8));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }, io).whenCompleteAsync((ok, error) -> {
                    if (error != null) showError("Could not export to " + target, rootCause(error));
                }, FxThread.EXECUTOR);
            }

            @Override public void setOffline(boolean offline) {
                for (RoomSession s : sessions.values()) {
                    if (s.window.stage == stage) s.setOffline(offline);
                }
            }

            @Override public void quit() {
                Platform.exit();
            }
        };
    }

    /** Starts the embedded hub once (io thread); later calls get the same one. */
    private CompletableFuture<EmbeddedHost> ensureHost() {
        if (host == null || host.isCompletedExceptionally()) {
            int port = options.hostPort != null ? options.hostPort : DEFAULT_HOST_PORT;
            host = CompletableFuture.supplyAsync(() -> {
                try {
                    return EmbeddedHost.start(dataDir, options.hostBind, port);
                } catch (Exception e) {
                    // The usual port is taken (another Tandem?): any free port will do, the invite shows it.
                    if (options.hostPort == null && rootCause(e) instanceof BindException) {
                        try {
                            return EmbeddedHost.start(dataDir, options.hostBind, 0);
                        } catch (Exception again) {
                            throw new java.util.concurrent.CompletionException(again);
                        }
                    }
                    throw new java.util.concurrent.CompletionException(e);
                }
            }, io);
        }
        return host;
    }

    private boolean anyWindowShowing() {
        return javafx.stage.Window.getWindows().stream().anyMatch(javafx.stage.Window::isShowing);
    }

    private static Throwable rootCause(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t;
    }

    private static void showError(String title, Throwable error) {
        Alert alert = new Alert(Alert.AlertType.ERROR, String.valueOf(error.getMessage()));
        alert.setHeaderText(title);
        alert.getDialogPane().getStylesheets().add(stylesheet());
        alert.show();
    }

    /** Saves every open room (bounded wait) and stops the embedded hub. Runs on the FX thread at exit. */
    @Override
    public void stop() {
        for (RoomSession s : sessions.values()) closing.add(s.close());
        sessions.clear();
        try {
            CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            System.err.println("tandem: not every room closed cleanly: " + e);
        }
        if (host != null) {
            CompletableFuture<EmbeddedHost> h = host;
            io.execute(() -> {
                try {
                    h.join().close();
                } catch (RuntimeException e) {
                    // It never started: nothing to stop.
                }
            });
        }
        io.shutdown();
        try {
            io.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public static void main(String[] args) {
        if (!Main.checkArgs(args)) return;
        launch(args);
    }
}
