package dev.tandem.client;

import dev.tandem.sync.TandemVersion;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Path;

/**
 * Command-line options. With a room (and a server or {@code --host-port}) the client skips the
 * start screen and opens the room at once; that is what scripts and tests use.
 */
@Command(name = "tandem", mixinStandardHelpOptions = true, versionProvider = LaunchOptions.Version.class,
        description = "Tandem: a real-time collaborative text editor.",
        footer = {"", "Examples:",
                "  tandem --server ws://10.0.0.5:7070 --room notes --name Ada",
                "  tandem --host-port 7070 --room notes --name Ada     (host on this computer)",
                "  tandem 'wss://10.0.0.5:7070/rooms/notes#token=...&sha256=...'   (join with an invite)",
                "  ./mvnw -pl client-fx -am javafx:run -Djavafx.args=\"--room notes --server ws://10.0.0.5:7070\""})
final class LaunchOptions {
    /** {@code --version}: the Maven project version this build was made from. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"Tandem " + TandemVersion.get()};
        }
    }

    @Parameters(arity = "0..1", paramLabel = "INVITE",
            description = "An invite or room address to open (skips the start screen): wss://HOST:PORT/rooms/ROOM#token=...&sha256=... "
                    + "as Copy invite gives it, ws://HOST:PORT/rooms/NAME, or the same as a tandem:// (tandems:// for TLS) link, "
                    + "which installed Tandem opens with this.")
    String inviteText;

    /** The parsed {@link #inviteText} when it carries a token or a certificate pin, else null (then server and room are set). */
    dev.tandem.sync.Invite invite;

    @Option(names = "--server", paramLabel = "ws://HOST:PORT", description = "Hub to join; several hubs of the room comma-separated (ws://a:7070,b:7070).")
    String server;

    @Option(names = "--room", paramLabel = "NAME", description = "Room to open (skips the start screen).")
    String room;

    @Option(names = "--name", paramLabel = "NAME", description = "Your display name (remembered).")
    String name;

    @Option(names = "--color", paramLabel = "#RRGGBB", description = "Your colour (remembered).")
    String color;

    @Option(names = "--host-port", paramLabel = "PORT", description = "Host a hub on this computer on PORT (0 = any free port).")
    Integer hostPort;

    @Option(names = "--host-bind", paramLabel = "ADDRESS", defaultValue = "${env:TANDEM_HOST_BIND}",
            description = "Network address the hosted hub listens on: 127.0.0.1 (this computer only) or 0.0.0.0 (every interface). "
                    + "Default: what you chose on the start screen, remembered; 127.0.0.1 before you chose (environment: TANDEM_HOST_BIND).")
    String hostBind;

    @Option(names = "--data", paramLabel = "DIR", description = "Data directory (settings, offline copies of rooms, hosted hub store). Default: ${sys:tandem.defaultData} (environment: TANDEM_CLIENT_DATA)")
    Path dataDir;

    /** Set when the command line asked for help or the version; the caller prints {@link #message} and exits 0. */
    boolean helpOnly;
    String message = "";

    /** Parses and checks the arguments; throws {@link IllegalArgumentException} with a usage message on error. */
    static LaunchOptions parse(String... args) {
        System.setProperty("tandem.defaultData", AppDirs.defaultDataDir().toString());
        LaunchOptions o = new LaunchOptions();
        CommandLine cl = new CommandLine(o);
        try {
            cl.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            throw new IllegalArgumentException(e.getMessage() + System.lineSeparator() + cl.getUsageMessage());
        }
        if (cl.isUsageHelpRequested() || cl.isVersionHelpRequested()) {
            StringWriter out = new StringWriter();
            if (cl.isUsageHelpRequested()) cl.usage(new PrintWriter(out));
            else cl.printVersionHelp(new PrintWriter(out));
            o.helpOnly = true;
            o.message = out.toString();
            return o;
        }
        try {
            if (o.inviteText != null) {
                if (o.server != null || o.room != null || o.hostPort != null) {
                    throw new IllegalArgumentException("an invite names its server and room: give it without --server, --room or --host-port");
                }
                // The address part is checked as a link (scheme, port, room name, length); a
                // fragment (token, certificate pin) makes it an invite for the sync client.
                String text = o.inviteText.strip();
                int hash = text.indexOf('#');
                RoomAddress address = RoomAddress.parseLink(hash < 0 ? text : text.substring(0, hash));
                if (hash < 0) {
                    o.server = address.server().toString();
                    o.room = address.room();
                } else {
                    String lower = text.toLowerCase(java.util.Locale.ROOT);
                    if (lower.startsWith("tandem://")) text = "ws://" + text.substring("tandem://".length());
                    else if (lower.startsWith("tandems://")) text = "wss://" + text.substring("tandems://".length());
                    try {
                        o.invite = dev.tandem.sync.Invite.parse(text);
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("not an invite link: " + e.getMessage());
                    }
                }
            }
            if (o.server != null) RoomAddress.parseServer(o.server);
            if (o.room != null) RoomAddress.checkRoom(o.room);
            if (o.color != null) o.color = UserColors.normalize(o.color);
            String nameProblem = o.name == null ? null : StartViewModel.nameProblem(o.name);
            if (nameProblem != null) throw new IllegalArgumentException("--name: " + nameProblem);
            if (o.hostPort != null && (o.hostPort < 0 || o.hostPort > 65535)) {
                throw new IllegalArgumentException("--host-port must be 0..65535, was " + o.hostPort);
            }
            if (o.hostPort != null && o.server != null) {
                throw new IllegalArgumentException("use either --server (join) or --host-port (host), not both");
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + System.lineSeparator() + cl.getUsageMessage());
        }
        return o;
    }

    Path dataDirOrDefault() {
        return dataDir != null ? dataDir.toAbsolutePath() : AppDirs.defaultDataDir();
    }

    /** True when the room can open straight away, without the start screen. */
    boolean opensRoomDirectly() {
        return invite != null || room != null && (server != null || hostPort != null);
    }

    URI serverUri() {
        return server == null ? null : RoomAddress.parseServer(server);
    }
}
