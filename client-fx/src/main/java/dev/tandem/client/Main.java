package dev.tandem.client;

import javafx.application.Application;

/**
 * Entry point for a plain {@code java -cp ... dev.tandem.client.Main}: a main class that is not an
 * {@link Application} lets JavaFX start from the class path. Checks the arguments before the
 * toolkit starts, so {@code --help} and mistakes need no display.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        if (!checkArgs(args)) return;
        Application.launch(TandemApp.class, args);
    }

    /** Prints help or an error; true when the application should start. Exits with 2 on bad arguments. */
    static boolean checkArgs(String[] args) {
        try {
            LaunchOptions o = LaunchOptions.parse(args);
            if (o.helpOnly) {
                System.out.print(o.message);
                return false;
            }
            return true;
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return false;
        }
    }
}
