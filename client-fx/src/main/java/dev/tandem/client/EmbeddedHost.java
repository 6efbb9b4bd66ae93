package dev.tandem.client;

import dev.tandem.hub.Grant;
import dev.tandem.hub.Hub;
import dev.tandem.hub.HubConfig;
import dev.tandem.hub.HubSecurity;
import dev.tandem.hub.Tokens;
import dev.tandem.sync.Invite;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Collections;
import java.util.HexFormat;

/**
 * "Host on this computer": the same hub as {@code tandem-hub.jar}, started in this process, its
 * store in the profile ({@code DATA/hub}). It runs with tokens (its own key, {@code
 * DATA/hub/token-hmac.key}, made by the hub's own key logic) and TLS with a self-signed
 * certificate kept in the profile ({@link HostTls}, {@code DATA/host-tls}); the host joins with a
 * token it mints for itself, others with the invites it mints ({@link #invite}). Start, close and
 * mint off the FX thread (they touch disk and sockets).
 */
final class EmbeddedHost implements AutoCloseable {
    /** How long a token the host mints for itself lasts: it mints a new one each time it opens a room. */
    static final Duration OWN_TOKEN_TTL = Duration.ofDays(1);
    /** How long an invite works. Revoking earlier is key rotation (docs/hub.md "Security"). */
    static final Duration INVITE_TTL = Duration.ofDays(30);
    static final String TLS_DIR = "host-tls";

    private final Hub hub;
    private final String bind;
    private final Path hubDir;
    private final HostTls tls;

    private EmbeddedHost(Hub hub, String bind, Path hubDir, HostTls tls) {
        this.hub = hub;
        this.bind = bind;
        this.hubDir = hubDir;
        this.tls = tls;
    }

    /** Starts a hub listening on {@code bind:port} (port 0: any free port), storing rooms under {@code dataDir/hub}. */
    static EmbeddedHost start(Path dataDir, String bind, int port) throws Exception {
        HostTls tls = HostTls.loadOrCreate(dataDir.resolve(TLS_DIR));
        Path hubDir = dataDir.resolve("hub");
        Hub hub = Hub.start(HubConfig.defaults(hubDir).withHost(bind).withPort(port)
                .withSecurity(HubSecurity.defaults().withTls(tls.cert(), tls.key())));
        return new EmbeddedHost(hub, bind, hubDir, tls);
    }

    int port() {
        return hub.port();
    }

    /** The SHA-256 of the hub's certificate: what clients pin. */
    String fingerprint() {
        return tls.sha256();
    }

    /** Where this process connects: always loopback, so hosting works without any network. */
    URI localServer() {
        return URI.create("wss://127.0.0.1:" + port());
    }

    /** The address others join with: loopback when listening on this computer only, else this machine's network address. */
    URI publicServer() {
        String host = bind;
        if (bind.equals("0.0.0.0") || bind.equals("::")) host = lanAddress();
        if (host.contains(":")) host = "[" + host + "]";
        return URI.create("wss://" + host + ":" + port());
    }

    /** How the host itself joins {@code room}: an admin token in its own name (io thread: reads the key). */
    Access ownAccess(String room, String name) throws IOException {
        return new Access(Tokens.issue(hubDir, "host", name, room, Grant.Role.ADMIN, OWN_TOKEN_TTL), fingerprint());
    }

    /**
     * A new invite to {@code room} with {@code role} (editor or viewer), valid for {@link #INVITE_TTL}
     * (io thread: reads the key). Each invite is a new guest: the hub shows the token's name, so
     * people joining with different invites are told apart ("Guest 3f2a").
     */
    Invite invite(String room, Grant.Role role) throws IOException {
        byte[] id = new byte[4];
        new SecureRandom().nextBytes(id);
        String guest = HexFormat.of().formatHex(id);
        String token = Tokens.issue(hubDir, "guest-" + guest, "Guest " + guest.substring(0, 4), room, role, INVITE_TTL);
        return new Invite(publicServer(), room, token, fingerprint());
    }

    /** This machine's address on the local network (site-local IPv4 preferred), or loopback if it has none. */
    static String lanAddress() {
        String fallback = null;
        try {
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nif.isUp() || nif.isLoopback() || nif.isVirtual()) continue;
                for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                    if (!(a instanceof Inet4Address) || a.isLoopbackAddress() || a.isLinkLocalAddress()) continue;
                    if (a.isSiteLocalAddress()) return a.getHostAddress();
                    if (fallback == null) fallback = a.getHostAddress();
                }
            }
        } catch (SocketException e) {
            // No interfaces to list: loopback is the honest answer.
        }
        return fallback != null ? fallback : "127.0.0.1";
    }

    @Override
    public void close() {
        hub.close();
    }
}
