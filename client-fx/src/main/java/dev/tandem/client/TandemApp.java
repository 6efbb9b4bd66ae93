package dev.tandem.client;

import javafx.application.Application;
import javafx.scene.Scene;
import javafx.stage.Stage;
import org.fxmisc.richtext.StyleClassedTextArea;

/** The desktop client. */
public final class TandemApp extends Application {
    @Override
    public void start(Stage stage) {
        StyleClassedTextArea editor = new StyleClassedTextArea();
        editor.setId("editor");
        stage.setTitle("Tandem");
        stage.setScene(new Scene(editor, 1000, 700));
        stage.show();
    }

    public static void main(String[] args) {
        launch(args);
    }
}
