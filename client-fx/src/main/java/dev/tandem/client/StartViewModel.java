package dev.tandem.client;

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

import java.net.URI;

/**
 * The start screen's state: who you are, where to go. Plain Java (no toolkit needed), used on
 * the FX thread only.
 */
final class StartViewModel {
    static final int MAX_NAME_LENGTH = 40;

    /** What the start screen asks for. {@code server} is null when hosting on this computer. */
    record JoinRequest(String name, String color, URI server, String room, boolean host) {}

    final StringProperty name = new SimpleStringProperty("");
    final StringProperty color = new SimpleStringProperty(UserColors.PALETTE.get(0));
    final StringProperty server = new SimpleStringProperty("");
    final StringProperty room = new SimpleStringProperty("");
    /** Host on this computer: start the hub in-process and join it. */
    final BooleanProperty host = new SimpleBooleanProperty(false);
    final ObservableList<String> recentRooms = FXCollections.observableArrayList();

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
        problem.bind(Bindings.createStringBinding(this::findProblem, name, color, server, room, host));
        valid = problem.isEmpty();
    }

    /** Why the form cannot be submitted yet, or "" when it can. */
    ReadOnlyStringProperty problemProperty() {
        return problem.getReadOnlyProperty();
    }

    BooleanBinding validProperty() {
        return valid;
    }

    private String findProblem() {
        String n = name.get() == null ? "" : name.get().strip();
        if (n.isEmpty()) return "Enter your name.";
        if (n.length() > MAX_NAME_LENGTH) return "Name is longer than " + MAX_NAME_LENGTH + " characters.";
        if (!UserColors.isValid(color.get())) return "Pick a colour.";
        try {
            if (!host.get()) RoomAddress.parseServer(server.get());
            RoomAddress.checkRoom(room.get());
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            return Character.toUpperCase(m.charAt(0)) + m.substring(1) + ".";
        }
        return "";
    }

    /** The request to act on; throws {@link IllegalStateException} if the form is not valid. */
    JoinRequest request() {
        if (!valid.get()) throw new IllegalStateException(problem.get());
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
