package dev.tandem.client;

import dev.tandem.hub.Hub;
import dev.tandem.hub.HubConfig;
import dev.tandem.hub.HubSecurity;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Collections;

/**
 * "Host on this computer": the same hub as {@code tandem-hub.jar}, started in this process, its
 * store in the data directory. Start and close it off the FX thread (they touch disk and sockets).
 */
final class EmbeddedHost implements AutoCloseable {
    private final Hub hub;
    private final String bind;

    private EmbeddedHost(Hub hub, String bind) {
        this.hub = hub;
        this.bind = bind;
    }

    /** Starts a hub listening on {@code bind:port} (port 0: any free port), storing rooms under {@code dataDir/hub}. */
    static EmbeddedHost start(Path dataDir, String bind, int port) throws Exception {
        // --auth none for now (issue #13 phase B gives the host its own key, TLS and invites):
        // anyone who can reach the port may edit, which the host accepted by sharing it.
        Hub hub = Hub.start(HubConfig.defaults(dataDir.resolve("hub")).withHost(bind).withPort(port)
                .withSecurity(HubSecurity.none().withNoneOnAnyInterface()));
        return new EmbeddedHost(hub, bind);
    }

    int port() {
        return hub.port();
    }

    /** Where this process connects: always loopback, so hosting works without any network. */
    URI localServer() {
        return URI.create("ws://127.0.0.1:" + port());
    }

    /** The address others on the network join with. */
    URI publicServer() {
        String host = bind;
        if (bind.equals("0.0.0.0") || bind.equals("::")) host = lanAddress();
        if (host.contains(":")) host = "[" + host + "]";
        return URI.create("ws://" + host + ":" + port());
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
