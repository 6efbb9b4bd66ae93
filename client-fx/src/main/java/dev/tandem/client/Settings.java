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
 * What the start screen remembers between runs: name, colour, last server, recent rooms; and how
 * the windows look (theme, editor zoom: {@link Look}). Stored
 * as {@code settings.properties} in the data directory. Immutable; {@link #load} never fails
 * (a missing or corrupt file gives defaults, so a bad file cannot lock anyone out).
 */
record Settings(String name, String color, String server, List<String> recentRooms, String hostBind,
                Look.ThemeChoice theme, int zoom, List<String> hostedRooms) {
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
     * @param theme View > Theme; null is {@link Look.ThemeChoice#SYSTEM}
     * @param zoom the editor's zoom in percent, one of {@link Look#ZOOM_STEPS} (another value is taken to the nearest)
     * @param hostedRooms the recent rooms last opened by hosting them on this computer (the start
     *     screen ticks "Host" again when one is chosen: reopening it must not try to join a hub
     *     that only ran while Tandem did)
     */
    Settings {
        recentRooms = List.copyOf(recentRooms);
        List<String> recent = recentRooms;
        hostedRooms = hostedRooms == null ? List.of() : hostedRooms.stream().filter(recent::contains).distinct().toList();
        if (!isHostBind(hostBind)) hostBind = "";
        if (theme == null) theme = Look.ThemeChoice.SYSTEM;
        zoom = Look.nearestZoom(zoom);
    }

    Settings(String name, String color, String server, List<String> recentRooms, String hostBind) {
        this(name, color, server, recentRooms, hostBind, Look.ThemeChoice.SYSTEM, 100, List.of());
    }

    Settings(String name, String color, String server, List<String> recentRooms) {
        this(name, color, server, recentRooms, "");
    }

    static boolean isHostBind(String bind) {
        return LOCAL_ONLY.equals(bind) || NETWORK.equals(bind);
    }

    Settings withHostBind(String bind) {
        return new Settings(name, color, server, recentRooms, bind, theme, zoom, hostedRooms);
    }

    Settings withLook(Look.ThemeChoice theme, int zoom) {
        return new Settings(name, color, server, recentRooms, hostBind, theme, zoom, hostedRooms);
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
        List<String> hosted = new ArrayList<>();
        for (int i = 0; i < MAX_RECENT; i++) {
            String r = p.getProperty("recent." + i);
            if (r != null && !r.isBlank()) recent.add(r);
            if (r != null && "true".equals(p.getProperty("recent." + i + ".hosted"))) hosted.add(r);
        }
        return new Settings(
                StartViewModel.nameProblem(name) == null ? name : defaults.name(),
                UserColors.isValid(color) ? color : fallbackColor,
                p.getProperty("server", defaults.server()),
                recent, p.getProperty("hostBind", ""),
                Look.ThemeChoice.parse(p.getProperty("theme", "")), parseZoom(p.getProperty("zoom", "")), hosted);
    }

    /** A zoom from the file: a plain percentage, else 100. */
    private static int parseZoom(String value) {
        if (!value.matches("\\d{1,4}")) return 100;
        return Integer.parseInt(value);
    }

    void save(Path dataDir) throws IOException {
        Properties p = new Properties();
        p.setProperty("name", name);
        p.setProperty("color", color);
        p.setProperty("server", server);
        if (!hostBind.isEmpty()) p.setProperty("hostBind", hostBind);
        p.setProperty("theme", theme.key());
        p.setProperty("zoom", Integer.toString(zoom));
        for (int i = 0; i < recentRooms.size(); i++) {
            p.setProperty("recent." + i, recentRooms.get(i));
            if (hostedRooms.contains(recentRooms.get(i))) p.setProperty("recent." + i + ".hosted", "true");
        }
        StringWriter out = new StringWriter();
        p.store(out, "Tandem settings");
        LocalStore.writeAtomically(dataDir.resolve(FILE), out.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Remembers a joined room: most recent first, no duplicates, at most {@link #MAX_RECENT}. */
    Settings withJoined(String name, String color, String server, String room) {
        return withJoined(name, color, server, room, false);
    }

    /** As {@link #withJoined(String, String, String, String)}, and whether the room was hosted here. */
    Settings withJoined(String name, String color, String server, String room, boolean hosted) {
        List<String> recent = new ArrayList<>(recentRooms);
        recent.remove(room);
        recent.add(0, room);
        while (recent.size() > MAX_RECENT) recent.remove(recent.size() - 1);
        List<String> hostedNow = new ArrayList<>(hostedRooms);
        hostedNow.remove(room);
        if (hosted) hostedNow.add(room);
        return new Settings(name, color, server, recent, hostBind, theme, zoom, hostedNow);
    }

    boolean wasHosted(String room) {
        return hostedRooms.contains(room);
    }
}
