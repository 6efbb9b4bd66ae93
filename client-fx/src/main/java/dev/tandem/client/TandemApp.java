package dev.tandem.client;

import dev.tandem.hub.Grant;
import javafx.application.Application;
import javafx.application.Platform;
import javafx.scene.Parent;
import javafx.scene.control.Alert;
import javafx.scene.image.Image;
import javafx.stage.Stage;
import javafx.stage.WindowEvent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The desktop client. Command line: see {@link LaunchOptions} ({@code --help}). Without a room on
 * the command line it shows the start screen; each room opens in its own window.
 *
 * <p>One process per profile ({@link ProfileLock}); a second start on the profile hands its
 * command line over ({@link HandOff}) and this process opens what it asked for. The application
 * ends when its last window closes (JavaFX's implicit exit), so some window is always showing
 * while a room opens: the start screen stays up, greyed out, until the room's window is shown.
 */
public final class TandemApp extends Application {
    static final int DEFAULT_HOST_PORT = 7070;

    // Set in init() (launcher thread), then read on the FX thread.
    private LaunchOptions options;
    private Path dataDir;
    private ProfileLock profile;
    private boolean systemPrefersDark;
    // FX thread only:
    private Settings settings;
    private final Map<RoomAddress, RoomSession> sessions = new LinkedHashMap<>();
    /** Rooms being opened: a second request for one of them waits for the same window. */
    private final Map<RoomAddress, CompletableFuture<RoomSession>> opening = new HashMap<>();
    private final List<Stage> startScreens = new ArrayList<>();
    private CompletableFuture<EmbeddedHost> host; // null until someone hosts
    private String hostBind;                      // where host listens (or is starting to)
    private final List<CompletableFuture<Void>> closing = new ArrayList<>();
    // io thread only:
    private HandOff handOff;
    /** Disk, sockets and the hub's start and stop: never on the FX thread. One thread keeps settings writes in order. */
    private final ExecutorService io = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "tandem-io");
        t.setDaemon(true);
        return t;
    });

    static String stylesheet() {
        return TandemApp.class.getResource("tandem.css").toExternalForm();
    }

    private static List<Image> icons; // FX thread only

    /** The window icon, in the sizes a desktop picks from (the same picture as the installers' icon). FX thread. */
    static List<Image> icons() {
        if (icons == null) {
            icons = List.of(new Image(TandemApp.class.getResource("tandem-48.png").toExternalForm()),
                    new Image(TandemApp.class.getResource("tandem.png").toExternalForm()));
        }
        return icons;
    }

    @Override
    public void init() throws IOException {
        // The system's light or dark setting, asked of its tools while the rest starts (off the FX
        // thread): the first window shows in the right theme. Bounded; anything wrong is light.
        CompletableFuture<Boolean> systemTheme = CompletableFuture.supplyAsync(SystemTheme::prefersDark, task -> {
            Thread t = new Thread(task, "tandem-theme-probe");
            t.setDaemon(true);
            t.start();
        });
        options = LaunchOptions.parse(getParameters().getRaw().toArray(String[]::new));
        dataDir = options.dataDirOrDefault();
        profile = ProfileLock.claim(dataDir);
        Settings s = Settings.load(dataDir, UserColors.pick(new Random()));
        settings = new Settings(options.name != null ? options.name.strip() : s.name(),
                options.color != null ? options.color : s.color(),
                options.server != null ? options.serverUri().toString() : s.server(), s.recentRooms(), s.hostBind(),
                s.theme(), s.zoom(), s.hostedRooms());
        try {
            systemPrefersDark = systemTheme.get(3 * SystemTheme.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            systemPrefersDark = false;
        }
    }

    @Override
    public void start(Stage primary) {
        // View > Theme and the zoom: the user's changes are saved like the rest of the settings.
        Look.get().configure(settings.theme(), settings.zoom(), systemPrefersDark, look -> {
            settings = settings.withLook(look.theme(), look.zoom());
            saveSettings();
        });
        open(primary, options);
        io.execute(() -> {
            try {
                handOff = HandOff.listen(dataDir, request -> FxThread.run(() -> handOver(request)));
            } catch (IOException e) {
                System.err.println("tandem: a second start on this profile cannot hand its request to this one: " + e);
            }
        });
    }

    /** Opens what a command line asks for (FX thread): a room, or the start screen. */
    private void open(Stage stage, LaunchOptions o) {
        if (o.opensRoomDirectly()) {
            String name = o.name != null ? o.name.strip() : settings.name().isBlank() ? "Anonymous" : settings.name();
            String color = o.color != null ? o.color : settings.color();
            StartViewModel.JoinRequest request = o.invite != null
                    ? new StartViewModel.JoinRequest(name, color, RoomAddress.parseServer(o.invite.hub().toString()), o.invite.room(), false, Access.of(o.invite))
                    : new StartViewModel.JoinRequest(name, color, o.serverUri(), RoomAddress.checkRoom(o.room), o.hostPort != null);
            join(stage, request).whenComplete((session, error) -> {
                // Nothing else to show: offer the start screen to try again rather than end.
                if (error != null && sessions.isEmpty() && startScreens.isEmpty()) showStartScreen(new Stage(), request.host(), request.room());
            });
        } else {
            // Started at once only when where it listens is decided; else the start screen asks first.
            if (o.hostPort != null && (options.hostBind != null || !settings.hostBind().isEmpty())) ensureHost("");
            showStartScreen(stage, o.hostPort != null, o.room);
        }
    }

    /** What a second start on this profile asked for (FX thread). A start screen already showing is brought to the front. */
    private void handOver(LaunchOptions o) {
        if (!o.opensRoomDirectly() && o.room == null && o.hostPort == null && !startScreens.isEmpty()) {
            toFront(startScreens.get(startScreens.size() - 1));
        } else {
            open(new Stage(), o);
        }
    }

    /** Data directory in use (settings, offline copies of rooms, hosted hub store). */
    Path dataDir() {
        return dataDir;
    }

    List<RoomSession> sessions() {
        return List.copyOf(sessions.values());
    }

    void showStartScreen(Stage stage, boolean hostChecked, String room) {
        StartViewModel model = new StartViewModel(settings);
        if (room != null) model.room.set(room);
        // Unless asked to host, Host stays as the model set it: ticked for a room hosted here
        // before, whose text is in this computer's hub (a plain Join would look for it elsewhere).
        if (hostChecked) model.host.set(true);
        // Where a running hub listens cannot change until Tandem quits; --host-bind decides for this run.
        if (host != null && !host.isCompletedExceptionally() || options.hostBind != null) {
            model.hostBind.set(host != null && !host.isCompletedExceptionally() ? hostBind : options.hostBind);
            model.hostBindFixed.set(true);
        }
        StartScreen screen = new StartScreen(stage, model, request -> {
            // This window stays up until the room's window shows: were no window showing for a
            // moment, JavaFX would end the application.
            Parent form = stage.getScene().getRoot();
            form.setDisable(true);
            stage.setTitle("Opening " + request.room() + "… - Tandem");
            join(new Stage(), request).whenComplete((session, error) -> {
                if (error == null) {
                    stage.close();
                } else {
                    form.setDisable(false);
                    stage.setTitle("Tandem");
                }
            });
        });
        startScreens.add(stage);
        stage.addEventHandler(WindowEvent.WINDOW_HIDDEN, e -> startScreens.remove(stage));
        screen.stage.show();
        toFront(stage);
    }

    /**
     * Opens the room a start screen or command line asks for, in {@code stage} (FX thread). The
     * future completes on the FX thread once the room's window is showing, or fails once the
     * user has been told why not.
     */
    private CompletableFuture<RoomSession> join(Stage stage, StartViewModel.JoinRequest request) {
        // The start screen's default address is this computer's port 7070: when that is the hub
        // this app hosts, joining it without an invite means opening one more hosted room (a
        // plain ws:// join would meet TLS and a token it does not have). It is remembered as
        // hosted, so the next start screen hosts it again rather than join a hub not running.
        boolean ownHub = !request.host() && Access.NONE.equals(request.access()) && isOwnHub(request.server());
        boolean hosting = request.host() || ownHub;
        settings = settings.withJoined(request.name(), request.color(),
                request.server() != null && !ownHub ? request.server().toString() : settings.server(), request.room(), hosting);
        if (request.host() && Settings.isHostBind(request.hostBind())) settings = settings.withHostBind(request.hostBind()); // asked once, remembered
        saveSettings();
        RoomSession.Identity me = new RoomSession.Identity(request.name(), request.color());
        if (!hosting) return openRoom(stage, new RoomAddress(request.server(), request.room()), null, me, request.access());
        CompletableFuture<RoomSession> opened = new CompletableFuture<>();
        // The host joins its own hub with an admin token it mints for itself (reading the key: io thread).
        ensureHost(request.hostBind()).thenApplyAsync(h -> {
            try {
                return Map.entry(h, h.ownAccess(request.room(), request.name()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, io).whenCompleteAsync((hosted, error) -> {
            if (error != null) {
                showError("Could not host on this computer", error);
                opened.completeExceptionally(error);
                return;
            }
            EmbeddedHost h = hosted.getKey();
            openRoom(stage, new RoomAddress(h.localServer(), request.room()), h, me, hosted.getValue()).whenComplete((s, e) -> {
                if (e != null) opened.completeExceptionally(e);
                else opened.complete(s);
            });
        }, FxThread.EXECUTOR);
        return opened;
    }

    /** Whether {@code server} names the hub this app hosts, as this computer reaches it (FX thread). */
    private boolean isOwnHub(URI server) {
        EmbeddedHost h = host != null && host.isDone() && !host.isCompletedExceptionally() ? host.join() : null;
        if (h == null || server == null || server.getPort() != h.port()) return false;
        String name = server.getHost();
        return name != null && (name.equals("127.0.0.1") || name.equalsIgnoreCase("localhost") || name.equals("[::1]") || name.equals("::1")
                || name.equals(h.publicServer().getHost()));
    }

    /** Writes the settings as they are now (io thread, in order with earlier writes). */
    private void saveSettings() {
        Settings toSave = settings;
        io.execute(() -> {
            try {
                toSave.save(dataDir);
            } catch (IOException e) {
                System.err.println("tandem: could not save settings: " + e);
            }
        });
    }

    private CompletableFuture<RoomSession> openRoom(Stage stage, RoomAddress address, EmbeddedHost hosted, RoomSession.Identity me, Access access) {
        RoomSession existing = sessions.get(address);
        if (existing != null) { // one window per room: two would fight over the offline copy
            toFront(existing.window.stage);
            return CompletableFuture.completedFuture(existing);
        }
        CompletableFuture<RoomSession> pending = opening.get(address);
        if (pending != null) return pending;
        RoomAddress invite = hosted == null ? address : new RoomAddress(hosted.publicServer(), address.room());
        CompletableFuture<RoomSession> opened = new CompletableFuture<>();
        opening.put(address, opened);
        RoomSession.open(stage, address, invite, me, access, dataDir, io, actionsFor(stage))
                .whenCompleteAsync((session, error) -> {
                    opening.remove(address);
                    if (error != null) {
                        showError("Could not open room " + address.room(), error);
                        opened.completeExceptionally(error);
                        return;
                    }
                    sessions.put(address, session);
                    if (hosted != null) {
                        session.setInviter(viewer -> CompletableFuture.supplyAsync(() -> {
                            try {
                                return hosted.invite(address.room(), viewer ? Grant.Role.VIEWER : Grant.Role.EDITOR).format();
                            } catch (IOException e) {
                                throw new UncheckedIOException(e);
                            }
                        }, io));
                    }
                    if (hosted != null) session.setHostBanner("Hosting on this computer at " + invite.invite()
                            + ". Only people you invite can join: Room > Copy editor invite, or Copy viewer invite.");
                    stage.addEventHandler(WindowEvent.WINDOW_HIDDEN, e -> {
                        sessions.remove(address, session);
                        closing.add(session.close()); // stop() waits for it: the offline copy must reach the disk
                        showServersInTitles();
                    });
                    showServersInTitles();
                    stage.show();
                    toFront(stage);
                    opened.complete(session);
                }, FxThread.EXECUTOR);
        return opened;
    }

    /** Two windows of rooms with the same name (on different servers) name their server in the title. */
    private void showServersInTitles() {
        for (RoomSession s : sessions.values()) {
            s.setServerInTitle(sessions.values().stream().anyMatch(o -> o != s && o.address.room().equals(s.address.room())));
        }
    }

    private static void toFront(Stage stage) {
        stage.toFront();
        stage.requestFocus();
    }

    private RoomWindow.Actions actionsFor(Stage stage) {
        return new RoomWindow.Actions() {
            @Override public void joinRoom() {
                showStartScreen(new Stage(), false, null);
            }

            @Override public void host() {
                showStartScreen(new Stage(), true, null);
            }

            @Override public java.util.concurrent.Executor io() {
                return io;
            }

            @Override public void openRoomWith(String room, FormattedText content) {
                importIntoNewRoom(stage, room, content);
            }

            @Override public void setOffline(boolean offline) {
                for (RoomSession s : sessions.values()) {
                    if (s.window.stage == stage) s.setOffline(offline);
                }
            }

            @Override public void quit() {
                Platform.exit();
            }

            @Override public void openLink(String url) {
                getHostServices().showDocument(url);
            }
        };
    }

    /**
     * Opens room {@code room} on the server of the window {@code from}, as its user, and puts
     * {@code content} in it once the room's state has come from the hub (FX thread). A room that
     * has text already is left as it is: an import makes a new room, it never merges into one.
     */
    private void importIntoNewRoom(Stage from, String room, FormattedText content) {
        RoomSession source = sessions.values().stream().filter(s -> s.window.stage == from).findFirst().orElse(null);
        if (source == null) return;
        if (sessions.keySet().stream().anyMatch(a -> a.server().equals(source.address.server()) && a.room().equals(room))) {
            showError("Could not import into " + room, new IllegalStateException("Room " + room + " is open already: choose the name of a new room."));
            return;
        }
        boolean hosted = host != null && host.isDone() && !host.isCompletedExceptionally() && host.join().localServer().equals(source.address.server());
        StartViewModel.JoinRequest request = new StartViewModel.JoinRequest(settings.name(), settings.color(),
                hosted ? null : source.address.server(), room, hosted, Access.NONE, hosted ? hostBind : "");
        join(new Stage(), request).thenCompose(session -> FileCommands.fillNewRoom(session, content));
    }

    /**
     * The embedded hub (io thread): started once per process and shared by every hosted room.
     * Only when the usual port is taken by another program does it start on any free port; any
     * other failure (such as the hub's store being in use) is reported as it is, never retried on
     * another port over the same store. After a failure, the next request to host tries again.
     */
    private CompletableFuture<EmbeddedHost> ensureHost(String chosenBind) {
        if (host != null && !host.isCompletedExceptionally()) return host;
        int port = options.hostPort != null ? options.hostPort : DEFAULT_HOST_PORT;
        // --host-bind, else the start screen's choice, else the remembered one, else this computer only.
        String bind = options.hostBind != null ? options.hostBind
                : Settings.isHostBind(chosenBind) ? chosenBind
                : !settings.hostBind().isEmpty() ? settings.hostBind() : Settings.LOCAL_ONLY;
        hostBind = bind;
        host = CompletableFuture.supplyAsync(() -> {
            try {
                return EmbeddedHost.start(dataDir, bind, port);
            } catch (Exception e) {
                if (options.hostPort == null && rootCause(e) instanceof BindException) {
                    try {
                        return EmbeddedHost.start(dataDir, bind, 0);
                    } catch (Exception again) {
                        throw new CompletionException(again);
                    }
                }
                throw new CompletionException(e);
            }
        }, io);
        return host;
    }

    private static Throwable rootCause(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t;
    }

    /**
     * What went wrong, for people: the message of the first exception that is not a mere wrapper,
     * plus the root cause's when it adds something ("Failed to bind to /0.0.0.0:7070 (Address
     * already in use)").
     */
    static String describe(Throwable error) {
        Throwable e = error;
        while ((e instanceof CompletionException || e instanceof java.util.concurrent.ExecutionException
                || e instanceof UncheckedIOException) && e.getCause() != null) {
            e = e.getCause();
        }
        String message = e.getMessage() != null ? e.getMessage() : e.toString();
        Throwable root = rootCause(e);
        if (root != e && root.getMessage() != null && !message.contains(root.getMessage())) message += " (" + root.getMessage() + ")";
        return message;
    }

    private static void showError(String title, Throwable error) {
        Alert alert = new Alert(Alert.AlertType.ERROR, describe(error));
        alert.setHeaderText(title);
        alert.getDialogPane().getStylesheets().add(stylesheet());
        alert.show();
    }

    /**
     * Saves every open room (bounded wait), stops the embedded hub and the hand-off endpoint, and
     * releases the profile. Runs on the FX thread at exit.
     */
    @Override
    public void stop() {
        // A copy: closing a room's window removes it from the map.
        for (RoomSession s : List.copyOf(sessions.values())) closing.add(s.close());
        sessions.clear();
        try {
            CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            System.err.println("tandem: not every room closed cleanly: " + e);
        }
        CompletableFuture<EmbeddedHost> h = host;
        io.execute(() -> {
            try {
                if (handOff != null) handOff.close();
            } catch (IOException e) {
                System.err.println("tandem: " + e);
            }
            if (h != null) {
                try {
                    h.join().close();
                } catch (RuntimeException e) {
                    // It never started: nothing to stop.
                }
            }
        });
        io.shutdown();
        try {
            if (!io.awaitTermination(10, TimeUnit.SECONDS)) System.err.println("tandem: the embedded hub did not stop in time");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        profile.close(); // the OS would drop it with the process anyway
    }

    public static void main(String[] args) {
        Main.main(args);
    }
}
