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
record Settings(String name, String color, String server, List<String> recentRooms) {
    static final int MAX_RECENT = 10;
    static final String FILE = "settings.properties";
    static final String DEFAULT_SERVER = "ws://127.0.0.1:7070";

    Settings {
        recentRooms = List.copyOf(recentRooms);
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
                recent);
    }

    void save(Path dataDir) throws IOException {
        Properties p = new Properties();
        p.setProperty("name", name);
        p.setProperty("color", color);
        p.setProperty("server", server);
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
        return new Settings(name, color, server, recent);
    }
}
