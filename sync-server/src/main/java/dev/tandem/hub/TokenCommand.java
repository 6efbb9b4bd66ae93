package dev.tandem.hub;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import dev.tandem.sync.Invite;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;

/**
 * {@code token --data DIR --room ROOM --role ROLE}: issues a token signed with the hub's own key
 * in DIR (creating the key if the hub never started there). Needs no running hub: it only reads
 * the key file, so it works beside a hub that has the directory open. The token is the last line
 * of the output; with {@code --invite URL}, a complete invite follows it (docs/hub.md "Invites").
 */
@Command(name = "token", mixinStandardHelpOptions = true,
        description = "Issue an access token signed with the hub's key (its last line of output is the token, or the invite with --invite).")
final class TokenCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;
    @Option(names = "--data", defaultValue = "${env:TANDEM_DATA:-tandem-data}", description = "The hub's data directory, which holds its key (env TANDEM_DATA, default ${DEFAULT-VALUE}).")
    Path data;
    @Option(names = "--room", required = true, description = "A room name, or a prefix followed by * (team-*), or * for every room.")
    String room;
    @Option(names = "--role", required = true, description = "viewer, editor or admin.")
    String role;
    @Option(names = "--user", description = "Stable user id (default: a new random one); the replicas this user creates are bound to it.")
    String user;
    @Option(names = "--name", description = "Display name shown to the others (default: the user id).")
    String name;
    @Option(names = "--ttl", defaultValue = "30d", converter = TtlConverter.class, description = "How long the token is valid: 90m, 12h, 30d (default ${DEFAULT-VALUE}).")
    Duration ttl;
    @Option(names = "--invite", paramLabel = "URL", description = "Hub address others join (ws://HOST:PORT or wss://...; several hubs of the room comma-separated): also print a complete invite.")
    URI invite;

    @Override
    public Integer call() {
        Grant.Role r = Grant.Role.fromWire(role);
        try {
            if (r == null) throw new IllegalArgumentException("--role must be viewer, editor or admin, was \"" + role + "\"");
            if (invite != null) {
                if (!"ws".equals(invite.getScheme()) && !"wss".equals(invite.getScheme())) {
                    throw new IllegalArgumentException("--invite must be a ws:// or wss:// address, was " + invite);
                }
                if (room.contains("*")) throw new IllegalArgumentException("an invite names one room; --room was a pattern");
            }
            String id = user != null ? user : "u-" + dev.tandem.sync.ReplicaSecret.generate().substring(0, 12);
            Tokens tokens = Tokens.ownKey(data);
            String token = tokens.issue(id, name, room, r, ttl, Instant.now());
            System.err.println("token for user \"" + id + "\", " + r.wire() + " of " + (room.contains("*") ? "rooms " : "room ") + "\"" + room
                    + "\", valid until " + Instant.now().plus(ttl) + "; signed with " + data.resolve(Tokens.KEY_FILE));
            java.io.PrintWriter out = spec.commandLine().getOut();
            out.println(token);
            if (invite != null) out.println(new Invite(invite, room, token, null).format());
            out.flush();
            return 0;
        } catch (IllegalArgumentException | dev.tandem.protocol.ProtocolException e) {
            System.err.println("tandem-hub token: " + e.getMessage());
            return 2;
        } catch (java.io.IOException e) {
            System.err.println("tandem-hub token: cannot read or create the key: " + e.getMessage());
            return 1;
        }
    }

    /** Durations with day units as well: {@code 30d}, {@code 12h}, {@code 90m}, {@code 45s}. */
    static final class TtlConverter implements picocli.CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            String v = value.strip().toLowerCase(java.util.Locale.ROOT);
            if (v.endsWith("d")) {
                try {
                    return Duration.ofDays(Long.parseLong(v.substring(0, v.length() - 1)));
                } catch (NumberFormatException e) {
                    throw new picocli.CommandLine.TypeConversionException("'" + value + "' is not a duration (examples: 30d, 12h, 90m)");
                }
            }
            return new DurationConverter().convert(value);
        }
    }
}
