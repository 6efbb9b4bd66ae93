package dev.tandem.client;

import dev.tandem.sync.LocalStore;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * What the start screen remembers between runs: name, colour, last server, recent rooms. Stored
 * as {@code settings.properties} in the data directory. Immutable; {@link #load} never fails
 * (a missing or corrupt file gives defaults, so a bad file cannot lock anyone out).
 */
record Settings(String name, String color, String server, List<String> recentRooms, String hostBind) {
    static final int MAX_RECENT = 10;
    static final String FILE = "settings.properties";
    static final String DEFAULT_SERVER = "ws://127.0.0.1:7070";

    /** "Host on this computer" listens on this computer only. */
    static final String LOCAL_ONLY = "127.0.0.1";
    /** "Host on this computer" listens on every interface: others on the network can join. */
    static final String NETWORK = "0.0.0.0";

    /**
     * @param hostBind where the embedded hub listens, {@link #LOCAL_ONLY} or {@link #NETWORK}; ""
     *     until the user chose (the start screen asks the first time they host)
     */
    Settings {
        recentRooms = List.copyOf(recentRooms);
        if (!isHostBind(hostBind)) hostBind = "";
    }

    Settings(String name, String color, String server, List<String> recentRooms) {
        this(name, color, server, recentRooms, "");
    }

    static boolean isHostBind(String bind) {
        return LOCAL_ONLY.equals(bind) || NETWORK.equals(bind);
    }

    Settings withHostBind(String bind) {
        return new Settings(name, color, server, recentRooms, bind);
    }

    static Settings defaults(String color) {
        return new Settings(System.getProperty("user.name", ""), color, DEFAULT_SERVER, List.of());
    }

    static Settings load(Path dataDir, String fallbackColor) {
        Settings defaults = defaults(fallbackColor);
        Properties p = new Properties();
        try {
            p.load(new StringReader(Files.readString(dataDir.resolve(FILE), StandardCharsets.UTF_8)));
        } catch (NoSuchFileException e) {
            return defaults;
        } catch (IOException | IllegalArgumentException e) {
            System.err.println("tandem: ignoring unreadable " + dataDir.resolve(FILE) + ": " + e);
            return defaults;
        }
        String color = p.getProperty("color", "");
        String name = p.getProperty("name", defaults.name());
        List<String> recent = new ArrayList<>();
        for (int i = 0; i < MAX_RECENT; i++) {
            String r = p.getProperty("recent." + i);
            if (r != null && !r.isBlank()) recent.add(r);
        }
        return new Settings(
                StartViewModel.nameProblem(name) == null ? name : defaults.name(),
                UserColors.isValid(color) ? color : fallbackColor,
                p.getProperty("server", defaults.server()),
                recent, p.getProperty("hostBind", ""));
    }

    void save(Path dataDir) throws IOException {
        Properties p = new Properties();
        p.setProperty("name", name);
        p.setProperty("color", color);
        p.setProperty("server", server);
        if (!hostBind.isEmpty()) p.setProperty("hostBind", hostBind);
        for (int i = 0; i < recentRooms.size(); i++) p.setProperty("recent." + i, recentRooms.get(i));
        StringWriter out = new StringWriter();
        p.store(out, "Tandem settings");
        LocalStore.writeAtomically(dataDir.resolve(FILE), out.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Remembers a joined room: most recent first, no duplicates, at most {@link #MAX_RECENT}. */
    Settings withJoined(String name, String color, String server, String room) {
        List<String> recent = new ArrayList<>(recentRooms);
        recent.remove(room);
        recent.add(0, room);
        while (recent.size() > MAX_RECENT) recent.remove(recent.size() - 1);
        return new Settings(name, color, server, recent, hostBind);
    }
}
