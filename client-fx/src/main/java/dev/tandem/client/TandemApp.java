package dev.tandem.client;

import javafx.application.Application;
import javafx.stage.Stage;

/** The desktop client. */
public final class TandemApp extends Application {
    static String stylesheet() {
        return TandemApp.class.getResource("tandem.css").toExternalForm();
    }

    @Override
    public void start(Stage stage) {
    }

    public static void main(String[] args) {
        launch(args);
    }
}
