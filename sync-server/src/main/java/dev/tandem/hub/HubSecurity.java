package dev.tandem.hub;

import java.nio.file.Path;
import java.util.List;

/**
 * Who may use a hub and how it is reached (docs/hub.md "Security"). Immutable; {@link #defaults()}
 * then the {@code with...} methods.
 *
 * @param auth {@link Auth#TOKEN} (the default): every connection needs a signed token for its
 *     room; {@link Auth#NONE}: anyone who reaches the port may read and write every room
 * @param tokenPublicKey PEM public key (EC P-256 for ES256, RSA for RS256) of an outside service
 *     that issues the tokens; null: the hub's own HMAC key in its data directory (HS256)
 * @param noneOnAnyInterface lets {@link Auth#NONE} listen on a non-loopback address. Only the
 *     desktop client's embedded hub sets it (until it uses tokens); the command line never does
 * @param tlsCert PEM certificate chain served for wss:// and https://, or null for plain ws://
 * @param tlsKey PEM private key (PKCS#8) of {@code tlsCert}
 * @param allowedOrigins values of the {@code Origin} header an upgrade may carry; an upgrade with
 *     any other Origin is refused with HTTP 403 (desktop clients send none)
 * @param maxConnectionsPerIp open WebSocket connections from one address
 * @param joinsPerIpPerMinute hellos one address may send in a minute (a sliding window that a
 *     reconnect does not reset)
 * @param maxMembersPerRoom connections in one room
 * @param maxStoreBytes stored bytes of the whole store above which new rooms are refused
 *     ({@code store_full}); existing rooms keep working
 * @param adminPort port on 127.0.0.1 for /metrics and /healthz (then not served on the main port);
 *     -1: served on the main port
 */
public record HubSecurity(Auth auth, Path tokenPublicKey, boolean noneOnAnyInterface, Path tlsCert, Path tlsKey,
                          List<String> allowedOrigins, int maxConnectionsPerIp, int joinsPerIpPerMinute, int maxMembersPerRoom,
                          long maxStoreBytes, int adminPort) {

    public enum Auth { TOKEN, NONE }

    public HubSecurity {
        if (auth == null) throw new IllegalArgumentException("auth is not set");
        if ((tlsCert == null) != (tlsKey == null)) throw new IllegalArgumentException("--tls-cert and --tls-key go together");
        allowedOrigins = List.copyOf(allowedOrigins);
        if (maxConnectionsPerIp < 1) throw new IllegalArgumentException("max connections per address was " + maxConnectionsPerIp + ", must be >= 1");
        if (joinsPerIpPerMinute < 1) throw new IllegalArgumentException("joins per address per minute was " + joinsPerIpPerMinute + ", must be >= 1");
        if (maxMembersPerRoom < 1) throw new IllegalArgumentException("max members per room was " + maxMembersPerRoom + ", must be >= 1");
        if (maxStoreBytes < 1) throw new IllegalArgumentException("max store bytes was " + maxStoreBytes + ", must be >= 1");
        if (adminPort < -1 || adminPort > 65535) throw new IllegalArgumentException("admin port was " + adminPort + ", must be 0..65535 (or -1: none)");
    }

    /** Tokens (the hub's own key), no TLS, no allowed Origin, 50 connections and 300 joins a minute per address, 200 members per room. */
    public static HubSecurity defaults() {
        return new HubSecurity(Auth.TOKEN, null, false, null, null, List.of(), 50, 300, 200, Long.MAX_VALUE, -1);
    }

    /** {@code --auth none}: for development and tests on loopback. */
    public static HubSecurity none() {
        return defaults().withAuth(Auth.NONE);
    }

    public HubSecurity withAuth(Auth v) {
        return new HubSecurity(v, tokenPublicKey, noneOnAnyInterface, tlsCert, tlsKey, allowedOrigins, maxConnectionsPerIp, joinsPerIpPerMinute, maxMembersPerRoom, maxStoreBytes, adminPort);
    }

    public HubSecurity withTokenPublicKey(Path v) {
        return new HubSecurity(auth, v, noneOnAnyInterface, tlsCert, tlsKey, allowedOrigins, maxConnectionsPerIp, joinsPerIpPerMinute, maxMembersPerRoom, maxStoreBytes, adminPort);
    }

    /** See {@link #noneOnAnyInterface()}: the desktop client's embedded hub only. */
    public HubSecurity withNoneOnAnyInterface() {
        return new HubSecurity(auth, tokenPublicKey, true, tlsCert, tlsKey, allowedOrigins, maxConnectionsPerIp, joinsPerIpPerMinute, maxMembersPerRoom, maxStoreBytes, adminPort);
    }

    public HubSecurity withTls(Path cert, Path key) {
        return new HubSecurity(auth, tokenPublicKey, noneOnAnyInterface, cert, key, allowedOrigins, maxConnectionsPerIp, joinsPerIpPerMinute, maxMembersPerRoom, maxStoreBytes, adminPort);
    }

    public HubSecurity withAllowedOrigins(List<String> v) {
        return new HubSecurity(auth, tokenPublicKey, noneOnAnyInterface, tlsCert, tlsKey, v, maxConnectionsPerIp, joinsPerIpPerMinute, maxMembersPerRoom, maxStoreBytes, adminPort);
    }

    public HubSecurity withAddressLimits(int connections, int joinsPerMinute) {
        return new HubSecurity(auth, tokenPublicKey, noneOnAnyInterface, tlsCert, tlsKey, allowedOrigins, connections, joinsPerMinute, maxMembersPerRoom, maxStoreBytes, adminPort);
    }

    public HubSecurity withMaxMembersPerRoom(int v) {
        return new HubSecurity(auth, tokenPublicKey, noneOnAnyInterface, tlsCert, tlsKey, allowedOrigins, maxConnectionsPerIp, joinsPerIpPerMinute, v, maxStoreBytes, adminPort);
    }

    public HubSecurity withMaxStoreBytes(long v) {
        return new HubSecurity(auth, tokenPublicKey, noneOnAnyInterface, tlsCert, tlsKey, allowedOrigins, maxConnectionsPerIp, joinsPerIpPerMinute, maxMembersPerRoom, v, adminPort);
    }

    public HubSecurity withAdminPort(int v) {
        return new HubSecurity(auth, tokenPublicKey, noneOnAnyInterface, tlsCert, tlsKey, allowedOrigins, maxConnectionsPerIp, joinsPerIpPerMinute, maxMembersPerRoom, maxStoreBytes, v);
    }

    /** True for names that can only mean this computer: {@code localhost}, 127.0.0.0/8, {@code ::1}. */
    static boolean isLoopback(String host) {
        String h = host.strip();
        if (h.equalsIgnoreCase("localhost")) return true;
        if (h.startsWith("[") && h.endsWith("]")) h = h.substring(1, h.length() - 1);
        // Literal addresses only: resolving a name here could ask DNS, whose answer may change.
        if (h.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}")) return true;
        return h.equals("::1") || h.equalsIgnoreCase("0:0:0:0:0:0:0:1");
    }
}
