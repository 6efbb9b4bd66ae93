package dev.tandem.client;

import dev.tandem.protocol.ProtocolException;
import dev.tandem.protocol.Wire;

import javafx.beans.binding.Bindings;
import javafx.beans.binding.BooleanBinding;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import javafx.collections.ObservableSet;

import java.net.URI;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * The start screen's state: who you are, where to go. Plain Java (no toolkit needed), used on
 * the FX thread only.
 *
 * <p>A problem with a field is shown only once the user has touched that field (changed it) or
 * pressed Join: a form that greets you with "Room name is empty." in red before you typed
 * anything reads as an error you made.
 */
final class StartViewModel {
    static final int MAX_NAME_LENGTH = 40;

    /**
     * What the start screen asks for. {@code server} is null when hosting on this computer;
     * {@code access} is the token and pinned certificate of a pasted invite ({@link Access#NONE}: none).
     */
    record JoinRequest(String name, String color, URI server, String room, boolean host, Access access, String hostBind) {
        JoinRequest(String name, String color, URI server, String room, boolean host) {
            this(name, color, server, room, host, Access.NONE, "");
        }

        JoinRequest(String name, String color, URI server, String room, boolean host, Access access) {
            this(name, color, server, room, host, access, "");
        }
    }

    /** The form's fields, in the order their problems are reported. */
    enum Field { NAME, COLOR, SERVER, ROOM, HOST_BIND }

    private record Problem(Field field, String message) {}

    final StringProperty name = new SimpleStringProperty("");
    final StringProperty color = new SimpleStringProperty(UserColors.PALETTE.get(0));
    final StringProperty server = new SimpleStringProperty("");
    final StringProperty room = new SimpleStringProperty("");
    /** Host on this computer: start the hub in-process and join it. */
    final BooleanProperty host = new SimpleBooleanProperty(false);
    /**
     * Where the hosted hub listens: {@link Settings#LOCAL_ONLY} or {@link Settings#NETWORK}; "" until
     * chosen (asked the first time, then remembered in the settings).
     */
    final StringProperty hostBind = new SimpleStringProperty("");
    /** True while the hub this process hosts runs: its address cannot change until Tandem quits. */
    final BooleanProperty hostBindFixed = new SimpleBooleanProperty(false);
    final ObservableList<String> recentRooms = FXCollections.observableArrayList();
    /** The token and pinned certificate of the invite pasted into the server field ({@link Access#NONE}: none). */
    final ObjectProperty<Access> access = new SimpleObjectProperty<>(Access.NONE);
    private String accessServer; // the server field's text that goes with access
    private String inviteProblem; // why the pasted text is not an invite, or null

    private final ObservableSet<Field> touched = FXCollections.observableSet(EnumSet.noneOf(Field.class));
    private final BooleanProperty submitted = new SimpleBooleanProperty(false); // Join was pressed
    private final ReadOnlyStringWrapper problem = new ReadOnlyStringWrapper("");
    private final BooleanBinding valid;

    StartViewModel(Settings settings) {
        name.set(settings.name());
        color.set(settings.color());
        server.set(settings.server());
        recentRooms.setAll(settings.recentRooms());
        hostBind.set(settings.hostBind());
        if (!settings.recentRooms().isEmpty()) room.set(settings.recentRooms().get(0));
        // A room hosted here last time is hosted again when chosen (its hub ran inside Tandem).
        host.set(settings.wasHosted(room.get()));
        room.addListener((obs, old, now) -> {
            if (settings.recentRooms().contains(now)) host.set(settings.wasHosted(now));
        });
        // Pasting an invite into the server field fills in the room too, and keeps its token and pin.
        server.addListener((obs, old, text) -> pasted(text));
        problem.bind(Bindings.createStringBinding(() -> {
            Problem p = findProblem(submitted.get() ? EnumSet.allOf(Field.class) : touched);
            return p == null ? "" : p.message();
        }, name, color, server, room, host, hostBind, hostBindFixed, access, touched, submitted));
        valid = Bindings.createBooleanBinding(() -> findProblem(EnumSet.allOf(Field.class)) == null,
                name, color, server, room, host, hostBind, hostBindFixed, access);
    }

    /**
     * What the server field now holds: an invite ({@code wss://HOST:PORT/rooms/ROOM#token=...&sha256=...},
     * or a plain room address) sets server, room and access; other text typed over an invite's
     * server drops its access. Text with a {@code #} that is not a valid invite is a problem.
     */
    private void pasted(String text) {
        String t = text == null ? "" : text.strip();
        inviteProblem = null;
        if (t.contains("/rooms/") || t.contains("#")) {
            dev.tandem.sync.Invite invite;
            try {
                invite = dev.tandem.sync.Invite.parse(t);
            } catch (IllegalArgumentException e) {
                if (t.contains("#")) {
                    inviteProblem = "This is not a valid invite: " + e.getMessage();
                    access.set(Access.NONE);
                } else {
                    legacyInvite(t); // the room path alone, checked by the room field
                }
                return;
            }
            accessServer = invite.hub().toString();
            access.set(Access.of(invite));
            room.set(invite.room());
            server.set(accessServer);
        } else if (!t.equals(accessServer)) {
            accessServer = null;
            access.set(Access.NONE);
        }
    }

    private void legacyInvite(String t) {
        RoomAddress invite = RoomAddress.parseInvite(t);
        if (invite != null) {
            room.set(invite.room());
            server.set(invite.server().toString());
        }
    }

    /** Says what a pasted invite gives, or "" when none was pasted. */
    String inviteSummary() {
        Access a = access.get();
        if (a.token() == null && a.sha256() == null) return "";
        String what = a.token() == null ? "Invite without a token" : a.viewOnly() ? "Invite to read (view only)" : "Invite to edit";
        return what + (a.sha256() != null ? ", the host's certificate pinned" : "") + ".";
    }

    /**
     * The problem to show: the first one among the fields the user touched (all of them once Join
     * was pressed), or "" when there is none to show. {@link #validProperty()} says whether the
     * form can be submitted.
     */
    ReadOnlyStringProperty problemProperty() {
        return problem.getReadOnlyProperty();
    }

    /** True when the form has no problem at all, shown or not. */
    BooleanBinding validProperty() {
        return valid;
    }

    /** The user changed {@code field}: its problems show from now on. */
    void touch(Field field) {
        touched.add(field);
    }

    /**
     * Join was pressed: every problem shows from now on. Returns the request when the form is valid;
     * otherwise empty, and {@link #firstInvalidField()} says where to put the focus.
     */
    Optional<JoinRequest> submit() {
        submitted.set(true);
        return valid.get() ? Optional.of(request()) : Optional.empty();
    }

    /** The first field with a problem, shown or not. */
    Optional<Field> firstInvalidField() {
        Problem p = findProblem(EnumSet.allOf(Field.class));
        return p == null ? Optional.empty() : Optional.of(p.field());
    }

    private Problem findProblem(Set<Field> fields) {
        if (fields.contains(Field.NAME)) {
            String problem = nameProblem(name.get());
            if (problem != null) return new Problem(Field.NAME, problem);
        }
        if (fields.contains(Field.COLOR) && !UserColors.isValid(color.get())) return new Problem(Field.COLOR, "Pick a colour.");
        if (fields.contains(Field.SERVER) && !host.get()) {
            if (inviteProblem != null) return new Problem(Field.SERVER, inviteProblem);
            try {
                RoomAddress.parseServer(server.get());
            } catch (IllegalArgumentException e) {
                return new Problem(Field.SERVER, sentence(e.getMessage()));
            }
        }
        if (fields.contains(Field.ROOM)) {
            try {
                RoomAddress.checkRoom(room.get());
            } catch (IllegalArgumentException e) {
                return new Problem(Field.ROOM, sentence(e.getMessage()));
            }
        }
        // Fixed (a hub already runs, or --host-bind decided): nothing to choose.
        if (fields.contains(Field.HOST_BIND) && host.get() && !hostBindFixed.get() && !Settings.isHostBind(hostBind.get())) {
            return new Problem(Field.HOST_BIND, "Choose who can join: people on this computer only, or on your network.");
        }
        return null;
    }

    /**
     * Why {@code name} cannot be used, or null: the hub refuses names with control, line-break or
     * invisible format characters (Wire.checkName), so they are caught here, before joining.
     */
    static String nameProblem(String name) {
        String n = name == null ? "" : name.strip();
        if (n.isEmpty()) return "Enter your name.";
        if (n.codePointCount(0, n.length()) > MAX_NAME_LENGTH) return "Name is longer than " + MAX_NAME_LENGTH + " characters.";
        try {
            Wire.checkName(n);
        } catch (ProtocolException e) {
            return "Name must not contain line breaks, control characters or invisible formatting characters.";
        }
        return null;
    }

    private static String sentence(String m) {
        return Character.toUpperCase(m.charAt(0)) + m.substring(1) + ".";
    }

    /** The request to act on; throws {@link IllegalStateException} if the form is not valid. */
    JoinRequest request() {
        Problem p = findProblem(EnumSet.allOf(Field.class));
        if (p != null) throw new IllegalStateException(p.message());
        return new JoinRequest(name.get().strip(), UserColors.normalize(color.get()),
                host.get() ? null : RoomAddress.parseServer(server.get()),
                RoomAddress.checkRoom(room.get()), host.get(), host.get() ? Access.NONE : access.get(), host.get() ? hostBind.get() : "");
    }

    /** The settings to remember after joining with {@code request}. */
    Settings remember(Settings old, JoinRequest request) {
        String srv = request.server() != null ? request.server().toString() : old.server();
        return old.withJoined(request.name(), request.color(), srv, request.room(), request.host());
    }
}
