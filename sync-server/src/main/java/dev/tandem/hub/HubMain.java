package dev.tandem.hub;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import dev.tandem.hub.store.StoreLocation;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * Entry point of {@code tandem-hub.jar}: {@code serve} (the default), {@code token}, and the
 * client commands {@code cat}, {@code append} and {@code load}. Every serve option also reads an environment
 * variable (named in its help) so a container or systemd unit needs no command line.
 */
@Command(name = "tandem-hub", mixinStandardHelpOptions = true, versionProvider = HubMain.Version.class,
        description = "Tandem's room hub: relays edits between the people in a room and keeps every room's merged text.",
        subcommands = {ServeCommand.class, TokenCommand.class, AdminCommand.class, CatCommand.class, AppendCommand.class, LoadCommand.class})
public final class HubMain implements Callable<Integer> {

    @CommandLine.Mixin
    ServeCommand.Options serve = new ServeCommand.Options();

    @Override
    public Integer call() throws Exception {
        return ServeCommand.run(serve);
    }

    public static void main(String[] args) {
        System.exit(execute(commandLine(), args));
    }

    /**
     * Runs {@code args} on {@code cl} after reading the configuration file, if any: {@code --config
     * FILE} on the command line, else the environment variable {@code TANDEM_CONFIG}. Its values
     * become the serve options' defaults (the command line and the environment still override
     * them). It is looked up before picocli parses, because defaults are applied first.
     */
    static int execute(CommandLine cl, String... args) {
        String problem = readConfig(cl, args);
        if (problem != null) {
            cl.getErr().println(problem);
            return 2;
        }
        return cl.execute(args);
    }

    /** Installs the configuration file named by {@code args} (or TANDEM_CONFIG) on {@code cl}; null, or why it cannot be used. */
    static String readConfig(CommandLine cl, String... args) {
        String path = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--")) break;
            if (args[i].equals("--config") && i + 1 < args.length) path = args[i + 1];
            else if (args[i].startsWith("--config=")) path = args[i].substring("--config=".length());
        }
        if (path == null) path = System.getenv("TANDEM_CONFIG");
        if (path == null || path.isEmpty()) return null;
        try {
            // The serve options, both where the default command has them and under "serve".
            List<CommandLine.Model.OptionSpec> serve = new ArrayList<>();
            for (CommandLine c : List.of(cl, cl.getSubcommands().get("serve"))) {
                for (CommandLine.Model.OptionSpec o : c.getCommandSpec().options()) {
                    if (!o.usageHelp() && !o.versionHelp() && !o.longestName().equals("--config")) serve.add(o);
                }
            }
            cl.setDefaultValueProvider(ConfigFile.read(Path.of(path), serve, System::getenv));
            return null;
        } catch (IOException | IllegalArgumentException e) {
            String why = e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage();
            return "tandem-hub: configuration file " + path + ": " + why;
        }
    }

    /** {@code --version}: the Maven project version this jar was built from, and the protocol it speaks. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"tandem-hub " + dev.tandem.sync.TandemVersion.get() + ", protocol " + dev.tandem.protocol.Message.PROTOCOL};
        }
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new HubMain()).setCaseInsensitiveEnumValuesAllowed(true)
                // "--auth token": the value is also the name of the token command.
                .setAllowSubcommandsAsOptionParameters(true);
        // Room text is UTF-8 whatever the platform default is.
        cl.setOut(new java.io.PrintWriter(new java.io.OutputStreamWriter(System.out, java.nio.charset.StandardCharsets.UTF_8), true));
        return cl;
    }
}

@Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = HubMain.Version.class, description = "Run the hub (the default command).")
final class ServeCommand implements Callable<Integer> {

    @CommandLine.Mixin
    Options options = new Options();

    @Override
    public Integer call() throws Exception {
        return run(options);
    }

    static final class Options {
        @Option(names = "--config", paramLabel = "FILE", description = "Read these options from FILE, one 'name = value' a line "
                + "(e.g. port = 7070); the command line and the environment override it (env TANDEM_CONFIG).")
        Path config;
        @Option(names = "--host", defaultValue = "${env:TANDEM_HOST:-127.0.0.1}", description = "Interface to listen on; 0.0.0.0 for all (env TANDEM_HOST, default ${DEFAULT-VALUE}).")
        String host;
        @Option(names = "--port", defaultValue = "${env:TANDEM_PORT:-7070}", description = "TCP port (env TANDEM_PORT, default ${DEFAULT-VALUE}).")
        int port;
        @Option(names = "--data", defaultValue = "${env:TANDEM_DATA:-tandem-data}", description = "Data directory (env TANDEM_DATA, default ${DEFAULT-VALUE}).")
        Path data;
        @Option(names = "--max-message-bytes", defaultValue = "${env:TANDEM_MAX_MESSAGE_BYTES:-8388608}", description = "Largest message accepted (default ${DEFAULT-VALUE}).")
        int maxMessageBytes;
        @Option(names = "--max-queued-bytes", defaultValue = "${env:TANDEM_MAX_QUEUED_BYTES:-16777216}", description = "Outbound bytes queued per connection before it is cut off; at least twice --max-message-bytes (default ${DEFAULT-VALUE}).")
        long maxQueuedBytes;
        @Option(names = "--max-queued-messages", defaultValue = "${env:TANDEM_MAX_QUEUED_MESSAGES:-4096}", description = "Outbound messages queued per connection before it is cut off (default ${DEFAULT-VALUE}).")
        int maxQueuedMessages;
        @Option(names = "--rate", defaultValue = "${env:TANDEM_RATE:-100}", description = "Messages per second per connection, sustained (default ${DEFAULT-VALUE}).")
        double rate;
        @Option(names = "--burst", defaultValue = "${env:TANDEM_BURST:-200}", description = "Messages per connection allowed at once above the rate (default ${DEFAULT-VALUE}).")
        int burst;
        @Option(names = "--byte-rate", defaultValue = "${env:TANDEM_BYTE_RATE:-1048576}", description = "Bytes per second per connection, sustained (default ${DEFAULT-VALUE}).")
        long byteRate;
        @Option(names = "--max-rooms", defaultValue = "${env:TANDEM_MAX_ROOMS:-1000}", description = "Rooms loaded at once (default ${DEFAULT-VALUE}).")
        int maxRooms;
        @Option(names = "--max-room-bytes", defaultValue = "${env:TANDEM_MAX_ROOM_BYTES:-67108864}", description = "Stored size of one room (default ${DEFAULT-VALUE}).")
        long maxRoomBytes;
        @Option(names = "--max-held-runs", defaultValue = "${env:TANDEM_MAX_HELD_RUNS:-1000}", description = "Runs of operations one room holds while their causes have not arrived; a push that could hold more is refused (default ${DEFAULT-VALUE}).")
        int maxHeldRuns;
        @Option(names = "--max-held-chars", defaultValue = "${env:TANDEM_MAX_HELD_CHARS:-1048576}", description = "Characters in the runs one room holds, likewise (default ${DEFAULT-VALUE}).")
        long maxHeldChars;
        @Option(names = "--idle-timeout", defaultValue = "${env:TANDEM_IDLE_TIMEOUT:-15s}", converter = DurationConverter.class, description = "Close a connection silent this long (default ${DEFAULT-VALUE}).")
        Duration idleTimeout;
        @Option(names = "--unload-after", defaultValue = "${env:TANDEM_UNLOAD_AFTER:-30s}", converter = DurationConverter.class, description = "Unload a room this long after its last connection left (default ${DEFAULT-VALUE}).")
        Duration unloadAfter;
        @Option(names = "--compact-every", defaultValue = "${env:TANDEM_COMPACT_EVERY:-1000}", description = "Fold a room's log into a snapshot after this many entries (default ${DEFAULT-VALUE}).")
        int compactEvery;
        @Option(names = "--auth", defaultValue = "${env:TANDEM_AUTH:-token}", description = "token: every connection needs a signed token for its room (see the token command); none: anyone may read and write every room, development only, refused with a --host other than loopback (env TANDEM_AUTH, default ${DEFAULT-VALUE}).")
        HubSecurity.Auth auth;
        @Option(names = "--token-public-key", defaultValue = "${env:TANDEM_TOKEN_PUBLIC_KEY}", paramLabel = "FILE", description = "Accept tokens an outside service signs (ES256 or RS256) with the private half of this PEM public key, instead of the hub's own HS256 key (env TANDEM_TOKEN_PUBLIC_KEY).")
        Path tokenPublicKey;
        @Option(names = "--tls-cert", defaultValue = "${env:TANDEM_TLS_CERT}", paramLabel = "FILE", description = "PEM certificate chain: serve wss:// and https:// (TLS 1.2+) on the port (env TANDEM_TLS_CERT).")
        Path tlsCert;
        @Option(names = "--tls-key", defaultValue = "${env:TANDEM_TLS_KEY}", paramLabel = "FILE", description = "PEM (PKCS#8) private key of --tls-cert (env TANDEM_TLS_KEY).")
        Path tlsKey;
        @Option(names = "--allow-origin", paramLabel = "ORIGIN", split = ",", defaultValue = "${env:TANDEM_ALLOW_ORIGIN}", description = "A browser Origin allowed to open WebSockets (repeatable or comma-separated, e.g. https://editor.example.org); upgrades with any other Origin get HTTP 403. Desktop clients send none (env TANDEM_ALLOW_ORIGIN).")
        java.util.List<String> allowOrigins = new java.util.ArrayList<>();
        @Option(names = "--max-connections-per-ip", defaultValue = "${env:TANDEM_MAX_CONNECTIONS_PER_IP:-50}", description = "Open connections from one address (default ${DEFAULT-VALUE}).")
        int maxConnectionsPerIp;
        @Option(names = "--max-joins-per-ip", defaultValue = "${env:TANDEM_MAX_JOINS_PER_IP:-300}", description = "Hellos one address may send per minute; reconnecting does not reset it (default ${DEFAULT-VALUE}).")
        int maxJoinsPerIp;
        @Option(names = "--max-members", defaultValue = "${env:TANDEM_MAX_MEMBERS:-200}", description = "Connections in one room (default ${DEFAULT-VALUE}).")
        int maxMembers;
        @Option(names = "--max-store-bytes", defaultValue = "${env:TANDEM_MAX_STORE_BYTES:-9223372036854775807}", description = "Size of the whole store above which new rooms are refused (store_full); existing rooms keep working (default: no limit).")
        long maxStoreBytes;
        @Option(names = "--store", defaultValue = "${env:TANDEM_STORE}", paramLabel = "URL", description = "Where rooms are kept: sqlite:DIR, or postgresql://HOST:PORT/DATABASE?user=USER[&password=PASSWORD], shared by every hub that names it; the password is better given in TANDEM_STORE_PASSWORD, out of ps and shell history (env TANDEM_STORE, default: sqlite: in --data).")
        String store;
        @Option(names = "--bus", defaultValue = "${env:TANDEM_BUS}", paramLabel = "URL", description = "Serve rooms together with the other hubs on this Redis: redis://HOST:PORT (rediss:// for TLS); needs --store postgresql://...; a password is better given in TANDEM_BUS_PASSWORD (env TANDEM_BUS, default: none, a hub on its own).")
        String bus;
        @Option(names = "--write-linger", defaultValue = "${env:TANDEM_WRITE_LINGER:-0ms}", converter = DurationConverter.class, description = "Let a message to a connection wait up to this long (at most 100ms) for others, so they leave in one write: less CPU per delivery on a busy hub, that much more latency; 0ms writes at once (env TANDEM_WRITE_LINGER, default ${DEFAULT-VALUE}; see docs/benchmarks.md).")
        Duration writeLinger;
        @Option(names = "--admin-port", defaultValue = "${env:TANDEM_ADMIN_PORT:--1}", description = "Serve /metrics and /healthz on this port of 127.0.0.1 only, not on the main port (default: on the main port).")
        int adminPort;

        HubConfig toConfig() {
            HubSecurity security = HubSecurity.defaults().withAuth(auth).withTokenPublicKey(tokenPublicKey).withTls(tlsCert, tlsKey)
                    .withAllowedOrigins(allowOrigins).withAddressLimits(maxConnectionsPerIp, maxJoinsPerIp).withMaxMembersPerRoom(maxMembers)
                    .withMaxStoreBytes(maxStoreBytes).withAdminPort(adminPort);
            return new HubConfig(host, port, data, maxMessageBytes, maxQueuedBytes, maxQueuedMessages, rate, burst, byteRate,
                    maxRooms, maxRoomBytes, maxHeldRuns, maxHeldChars, idleTimeout, unloadAfter, compactEvery, Duration.ofSeconds(5), security,
                    store == null ? null : StoreLocation.parse(store, System.getenv("TANDEM_STORE_PASSWORD")), bus, writeLinger);
        }
    }

    static int run(Options options) throws Exception {
        HubConfig config;
        try {
            config = options.toConfig();
        } catch (IllegalArgumentException e) {
            System.err.println("tandem-hub: " + e.getMessage());
            return 2;
        }
        if (config.security().auth() == HubSecurity.Auth.NONE) {
            System.err.println("tandem-hub: WARNING: --auth none: anyone who can reach this port may read, change and erase every room."
                    + " For development on this computer only.");
        }
        Hub hub;
        try {
            hub = Hub.start(config);
        } catch (Exception e) {
            System.err.println("tandem-hub: cannot start: " + e.getMessage());
            return 1;
        }
        // One machine-readable line for scripts (with --port 0 it is the only way to learn the port).
        System.out.println("tandem-hub listening on " + hub.scheme() + "://" + config.host() + ":" + hub.port());
        System.out.flush();
        // SIGTERM / Ctrl-C: stop accepting, close sessions with 1001, flush the store, then return
        // here and exit 0 (1 if the store could not write). Left to the JVM, these signals run the
        // shutdown hooks and exit 143, which systemd records as a failed stop.
        onStopSignals(hub::close);
        // Any other way out (SIGHUP, say) still stops the hub gracefully, with the JVM's status.
        Runtime.getRuntime().addShutdownHook(new Thread(hub::close, "tandem-shutdown"));
        hub.awaitStop();
        if (!hub.stoppedCleanly()) {
            System.err.println("tandem-hub: stopped, but the store could not write everything (see the log above)");
            return 1;
        }
        return 0;
    }

    /**
     * Runs {@code stop} (on a thread of the JVM's own) on SIGTERM and SIGINT instead of the JVM's
     * default handling. {@code sun.misc.Signal} is in jdk.unsupported, which JEP 260 keeps
     * available for exactly this.
     */
    private static void onStopSignals(Runnable stop) {
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> stop.run());
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                // Not a signal here, or reserved (-Xrs): the shutdown hook still stops the hub.
            }
        }
    }
}

/** Parses durations like {@code 15s}, {@code 500ms}, {@code 2m} or ISO-8601 {@code PT15S}. */
final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        String v = value.trim().toLowerCase(java.util.Locale.ROOT);
        try {
            if (v.startsWith("pt") || v.startsWith("p")) return Duration.parse(value.trim().toUpperCase(java.util.Locale.ROOT));
            if (v.endsWith("ms")) return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            if (v.endsWith("s")) return Duration.ofMillis(Math.round(Double.parseDouble(v.substring(0, v.length() - 1)) * 1000));
            if (v.endsWith("m")) return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)) * 60);
            if (v.endsWith("h")) return Duration.ofHours(Long.parseLong(v.substring(0, v.length() - 1)));
            return Duration.ofSeconds(Long.parseLong(v));
        } catch (RuntimeException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a duration (examples: 15s, 500ms, 2m)");
        }
    }
}
