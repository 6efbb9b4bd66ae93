package dev.tandem.client;

import javafx.geometry.HPos;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.Scene;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.ColorPicker;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.TextField;
import javafx.scene.layout.ColumnConstraints;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;
import javafx.scene.paint.Color;
import javafx.stage.Stage;

import java.util.Locale;
import java.util.function.Consumer;

/**
 * The start screen: name, colour, server, room (recent rooms offered), Host on this computer.
 * A view over {@link StartViewModel}; FX thread only.
 */
final class StartScreen {
    final Stage stage;
    final StartViewModel model;

    StartScreen(Stage stage, StartViewModel model, Consumer<StartViewModel.JoinRequest> onJoin) {
        this.stage = stage;
        this.model = model;

        Label title = new Label("Tandem");
        title.getStyleClass().add("start-title");
        Label subtitle = new Label("Write together, in real time. Works offline too.");
        subtitle.getStyleClass().add("start-subtitle");

        TextField name = new TextField();
        name.setId("start-name");
        name.setPromptText("How others see you");
        name.textProperty().bindBidirectional(model.name);

        ColorPicker color = new ColorPicker(UserColors.toColor(model.color.get()));
        color.setId("start-color");
        for (String c : UserColors.PALETTE) color.getCustomColors().add(UserColors.toColor(c));
        color.valueProperty().addListener((obs, old, c) -> {
            model.color.set(toHex(c));
            model.touch(StartViewModel.Field.COLOR);
        });

        TextField server = new TextField();
        server.setId("start-server");
        server.setPromptText("ws://host:7070 (several: comma-separated), or paste an invite");
        server.textProperty().bindBidirectional(model.server);

        ComboBox<String> room = new ComboBox<>(model.recentRooms);
        room.setId("start-room");
        room.setEditable(true);
        room.setPromptText("e.g. team-notes");
        room.setMaxWidth(Double.MAX_VALUE);
        room.getEditor().textProperty().bindBidirectional(model.room);

        CheckBox host = new CheckBox("Host on this computer (others join you)");
        host.setId("start-host");
        host.selectedProperty().bindBidirectional(model.host);
        server.disableProperty().bind(model.host);

        Label problem = new Label();
        problem.setId("start-problem");
        problem.getStyleClass().add("start-problem");
        problem.textProperty().bind(model.problemProperty());

        touchedWhenEdited(name, StartViewModel.Field.NAME);
        touchedWhenEdited(server, StartViewModel.Field.SERVER);
        touchedWhenEdited(room.getEditor(), StartViewModel.Field.ROOM);

        // Always enabled: pressing it on an incomplete form says what is missing and goes there.
        Button join = new Button("Join");
        join.setId("start-join");
        join.setDefaultButton(true);
        join.textProperty().bind(javafx.beans.binding.Bindings.when(model.host).then("Host and open").otherwise("Join"));
        join.setOnAction(e -> model.submit().ifPresentOrElse(onJoin, () -> model.firstInvalidField().ifPresent(f -> (switch (f) {
            case NAME -> name;
            case COLOR -> color;
            case SERVER -> server;
            case ROOM -> room.getEditor();
            case HOST_BIND -> stage.getScene().lookup("#start-host-local");
        }).requestFocus())));

        GridPane form = new GridPane();
        form.getStyleClass().add("start-form");
        form.setHgap(12);
        form.setVgap(10);
        ColumnConstraints labels = new ColumnConstraints();
        labels.setHalignment(HPos.RIGHT);
        ColumnConstraints fields = new ColumnConstraints();
        fields.setHgrow(Priority.ALWAYS);
        form.getColumnConstraints().addAll(labels, fields);
        form.addRow(0, new Label("Name"), name);
        form.addRow(1, new Label("Colour"), color);
        form.addRow(2, new Label("Server"), server);
        form.addRow(3, new Label("Room"), room);
        form.add(host, 1, 4);
        // Asked the first time someone hosts, then remembered (and preselected) in the settings.
        javafx.scene.control.ToggleGroup listen = new javafx.scene.control.ToggleGroup();
        javafx.scene.control.RadioButton local = new javafx.scene.control.RadioButton("Only this computer");
        local.setId("start-host-local");
        local.setUserData(Settings.LOCAL_ONLY);
        javafx.scene.control.RadioButton network = new javafx.scene.control.RadioButton("Others on my network");
        network.setId("start-host-network");
        network.setUserData(Settings.NETWORK);
        local.setToggleGroup(listen);
        network.setToggleGroup(listen);
        for (javafx.scene.control.RadioButton b : java.util.List.of(local, network)) {
            if (b.getUserData().equals(model.hostBind.get())) b.setSelected(true);
        }
        listen.selectedToggleProperty().addListener((obs, old, t) -> {
            model.hostBind.set(t == null ? "" : (String) t.getUserData());
            model.touch(StartViewModel.Field.HOST_BIND);
        });
        HBox listenRow = new HBox(14, new Label("Who can join:"), local, network);
        listenRow.setId("start-host-bind");
        listenRow.setAlignment(Pos.CENTER_LEFT);
        listenRow.visibleProperty().bind(model.host);
        listenRow.managedProperty().bind(model.host);
        listenRow.disableProperty().bind(model.hostBindFixed);
        form.add(listenRow, 1, 5);

        Label invite = new Label();
        invite.setId("start-invite");
        invite.getStyleClass().add("start-invite");
        invite.textProperty().bind(javafx.beans.binding.Bindings.createStringBinding(model::inviteSummary, model.access));
        invite.visibleProperty().bind(invite.textProperty().isNotEmpty().and(model.host.not()));
        invite.managedProperty().bind(invite.visibleProperty());
        form.add(invite, 1, 6);

        HBox buttons = new HBox(12, problem, join);
        buttons.setAlignment(Pos.CENTER_RIGHT);
        HBox.setHgrow(problem, Priority.ALWAYS);
        problem.setMaxWidth(Double.MAX_VALUE);

        VBox root = new VBox(14, title, subtitle, form, buttons);
        root.getStyleClass().add("start-screen");
        root.setPadding(new Insets(28));
        Scene scene = new Scene(root, 560, 420);
        Look.get().install(scene); // theme and tandem.css
        stage.setScene(scene);
        stage.setTitle("Tandem");
        stage.getIcons().setAll(TandemApp.icons());
        stage.setResizable(false);
        stage.setOnShown(e -> (model.name.get().isBlank() ? name : room.getEditor()).requestFocus());
        ReadyProbe.watch(stage);
    }

    /**
     * A field counts as touched once the user changes it (typing, pasting, erasing), not when code
     * fills it in and not when the focus merely passes through: the window puts the focus in a field
     * itself, and clicking elsewhere must not turn that into an error the user never made.
     */
    private void touchedWhenEdited(TextField field, StartViewModel.Field which) {
        field.textProperty().addListener((obs, old, text) -> {
            if (field.isFocused()) model.touch(which);
        });
    }

    static String toHex(Color c) {
        return String.format(Locale.ROOT, "#%02x%02x%02x",
                Math.round(c.getRed() * 255), Math.round(c.getGreen() * 255), Math.round(c.getBlue() * 255));
    }
}
