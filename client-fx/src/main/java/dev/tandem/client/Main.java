package dev.tandem.client;

import javafx.application.Application;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Entry point for a plain {@code java -cp ... dev.tandem.client.Main} (and for
 * {@link TandemApp#main}): a main class that is not an {@link Application} lets JavaFX start from
 * the class path. Before the toolkit starts it checks the arguments (so {@code --help} and
 * mistakes need no display) and takes the profile's lock; when another Tandem has the profile, it
 * hands the request to that one and exits.
 */
public final class Main {
    /** How long a second start waits for the running instance to answer (it may be starting up). */
    private static final long HAND_OFF_WAIT_MILLIS = 10_000;

    private Main() {}

    public static void main(String[] args) {
        if (!checkArgs(args)) return;
        Path dataDir = LaunchOptions.parse(args).dataDirOrDefault();
        try {
            if (!takeProfileOrHandOver(dataDir, args)) return;
        } catch (IOException e) {
            System.err.println("tandem: cannot use the data directory " + dataDir + ": " + e.getMessage());
            System.exit(1);
        }
        Application.launch(TandemApp.class, args);
        // stop() has saved every room and stopped the hub; don't let a library's stray non-daemon
        // thread keep a closed app alive.
        System.exit(0);
    }

    /**
     * True when this process now holds the profile and should start. Otherwise it has handed
     * {@code args} to the Tandem running on the profile (exit 0), or said why it could not (exit 1).
     */
    private static boolean takeProfileOrHandOver(Path dataDir, String[] args) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(HAND_OFF_WAIT_MILLIS);
        String problem;
        while (true) {
            if (ProfileLock.acquireForLaunch(dataDir) != null) return true;
            try {
                HandOff.send(dataDir, List.of(args));
                System.out.println(ProfileLock.alreadyRunning(dataDir) + ": it opens your request.");
                System.exit(0);
                return false;
            } catch (IOException e) {
                problem = e.getMessage();
                if (e instanceof HandOff.Refused) break;
            }
            if (System.nanoTime() > deadline) break;
            // The other instance may be starting (lock taken, endpoint not open yet) or quitting
            // (then the lock comes free): look again shortly.
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        System.err.println(ProfileLock.alreadyRunning(dataDir) + " and did not take this request (" + problem
                + "). Use that window, or start with --data DIR for another profile.");
        System.exit(1);
        return false;
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
