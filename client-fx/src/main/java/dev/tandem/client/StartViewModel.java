package dev.tandem.client;

import dev.tandem.protocol.ProtocolException;
import dev.tandem.protocol.Wire;

import javafx.beans.binding.Bindings;
import javafx.beans.binding.BooleanBinding;
import javafx.beans.property.BooleanProperty;
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
    record JoinRequest(String name, String color, URI server, String room, boolean host, Access access) {
        JoinRequest(String name, String color, URI server, String room, boolean host) {
            this(name, color, server, room, host, Access.NONE);
        }
    }

    /** The form's fields, in the order their problems are reported. */
    enum Field { NAME, COLOR, SERVER, ROOM }

    private record Problem(Field field, String message) {}

    final StringProperty name = new SimpleStringProperty("");
    final StringProperty color = new SimpleStringProperty(UserColors.PALETTE.get(0));
    final StringProperty server = new SimpleStringProperty("");
    final StringProperty room = new SimpleStringProperty("");
    /** Host on this computer: start the hub in-process and join it. */
    final BooleanProperty host = new SimpleBooleanProperty(false);
    final ObservableList<String> recentRooms = FXCollections.observableArrayList();

    private final ObservableSet<Field> touched = FXCollections.observableSet(EnumSet.noneOf(Field.class));
    private final BooleanProperty submitted = new SimpleBooleanProperty(false); // Join was pressed
    private final ReadOnlyStringWrapper problem = new ReadOnlyStringWrapper("");
    private final BooleanBinding valid;

    StartViewModel(Settings settings) {
        name.set(settings.name());
        color.set(settings.color());
        server.set(settings.server());
        recentRooms.setAll(settings.recentRooms());
        if (!settings.recentRooms().isEmpty()) room.set(settings.recentRooms().get(0));
        // Pasting an invite address into the server field fills in the room too.
        server.addListener((obs, old, text) -> {
            RoomAddress invite = RoomAddress.parseInvite(text);
            if (invite != null) {
                room.set(invite.room());
                server.set(invite.server().toString());
            }
        });
        problem.bind(Bindings.createStringBinding(() -> {
            Problem p = findProblem(submitted.get() ? EnumSet.allOf(Field.class) : touched);
            return p == null ? "" : p.message();
        }, name, color, server, room, host, touched, submitted));
        valid = Bindings.createBooleanBinding(() -> findProblem(EnumSet.allOf(Field.class)) == null,
                name, color, server, room, host);
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
                RoomAddress.checkRoom(room.get()), host.get());
    }

    /** The settings to remember after joining with {@code request}. */
    Settings remember(Settings old, JoinRequest request) {
        String srv = request.server() != null ? request.server().toString() : old.server();
        return old.withJoined(request.name(), request.color(), srv, request.room());
    }
}
