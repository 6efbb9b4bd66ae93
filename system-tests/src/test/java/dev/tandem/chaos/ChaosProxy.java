package dev.tandem.chaos;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;

/**
 * A TCP proxy on 127.0.0.1 between one client and the hub that misbehaves on demand: it cuts
 * connections (with a TCP reset) inside a WebSocket message or inside the handshake, delays
 * traffic, throttles what the client receives (a slow client), and partitions the client
 * (black hole: nothing moves, new connections hang; or refuse: every connection is reset).
 *
 * <p>Threads: one acceptor thread, and per connection one opener thread that becomes the
 * client-to-hub pump plus one hub-to-client pump. Settings are volatile or guarded by
 * {@code this}; the pumps read them per chunk.
 */
final class ChaosProxy implements AutoCloseable {
    enum Dir { TO_HUB, TO_CLIENT }

    private final String name;
    private final IntSupplier upstreamPort;
    private final FaultLog log;
    private final ServerSocket server;
    private final Thread acceptor;
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean closed;

    // guarded by this
    private int blackholes;
    private int refusals;
    /** Cut the next data frame crossing in this direction, after this many of its bytes (null: not armed). */
    private Dir midMessageDir;
    private int midMessageAfter;
    /** Cut the next new connection inside its handshake, in this direction, after this many bytes. */
    private Dir handshakeDir;
    private long handshakeAfter;
    /** Bytes a whole handshake took in each direction, learnt from the last complete one. */
    private final long[] handshakeBytes = {400, 400};

    private volatile int maxDelayMillis;
    private volatile int throttleBytesPerSecond;

    ChaosProxy(String name, IntSupplier upstreamPort, FaultLog log) throws IOException {
        this.name = name;
        this.upstreamPort = upstreamPort;
        this.log = log;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::acceptLoop, "proxy-" + name + "-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    // ------------------------------------------------------------------ faults

    /** Partitions the client: connections freeze (black hole) or are reset (refuse). Nestable; undo with {@link #heal}. */
    synchronized void partition(boolean blackhole) {
        if (blackhole) blackholes++;
        else refusals++;
        if (!blackhole) cutAll("partition");
        notifyAll();
    }

    synchronized void heal(boolean blackhole) {
        if (blackhole) blackholes = Math.max(0, blackholes - 1);
        else refusals = Math.max(0, refusals - 1);
        notifyAll();
    }

    synchronized boolean partitioned() {
        return blackholes > 0 || refusals > 0;
    }

    /** Resets every live connection now. */
    void cutAll(String why) {
        for (Link l : links) l.cut(why);
    }

    int liveLinks() {
        return links.size();
    }

    /** The next data frame that crosses in {@code dir} is torn: part of it passes, then the connection is reset. */
    synchronized void armMidMessageCut(Dir dir, Random rnd) {
        midMessageDir = dir;
        midMessageAfter = rnd.nextInt(6);
    }

    /** The next connection is reset inside its handshake (HTTP upgrade, hello, welcome or catch-up) in {@code dir}. */
    synchronized void armHandshakeCut(Dir dir, Random rnd) {
        handshakeDir = dir;
        handshakeAfter = 1 + (long) (rnd.nextDouble() * (handshakeBytes[dir.ordinal()] - 1));
    }

    /** Delays every chunk by up to {@code millis} (0: off). Order is kept. */
    void delay(int millis) {
        maxDelayMillis = millis;
    }

    /** What the client receives trickles at this rate (0: off). */
    void throttle(int bytesPerSecond) {
        throttleBytesPerSecond = bytesPerSecond;
    }

    /** Clears every fault setting (not partitions). */
    synchronized void calm() {
        maxDelayMillis = 0;
        throttleBytesPerSecond = 0;
        midMessageDir = null;
        handshakeDir = null;
    }

    synchronized void healAll() {
        calm();
        blackholes = 0;
        refusals = 0;
        notifyAll();
    }

    // ------------------------------------------------------------------ plumbing

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (!closed) log.event("proxy " + name + " accept failed: " + e);
                return;
            }
            Link link = new Link(client);
            links.add(link);
            Thread t = new Thread(link::open, "proxy-" + name + "-up");
            t.setDaemon(true);
            synchronized (threads) {
                threads.removeIf(x -> !x.isAlive());
                threads.add(t);
            }
            t.start();
        }
    }

    /** Blocks while the proxy is a black hole; returns false if the link should be reset instead. */
    private synchronized boolean awaitPassage(Link link) throws InterruptedException {
        while (blackholes > 0 && refusals == 0 && !closed && !link.dead) wait(200);
        return refusals == 0 && !closed && !link.dead;
    }

    /** One proxied connection. */
    private final class Link {
        final Socket client;
        volatile Socket upstream;
        volatile boolean dead;
        Dir cutDir;           // armed handshake cut for this link (set once in open)
        long cutAfter;
        final WsStream[] streams = {new WsStream(), new WsStream()};

        Link(Socket client) {
            this.client = client;
        }

        void open() {
            try {
                if (!awaitPassage(this)) {
                    cut(null);
                    return;
                }
                synchronized (ChaosProxy.this) {
                    if (handshakeDir != null) {
                        cutDir = handshakeDir;
                        cutAfter = handshakeAfter;
                        handshakeDir = null;
                    }
                }
                Socket up = new Socket();
                upstream = up;
                try {
                    up.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort.getAsInt()), 2000);
                } catch (IOException | IllegalArgumentException e) {
                    // The hub is down (port -1 while it restarts): the client sees its connection reset.
                    cut(null);
                    return;
                }
                up.setTcpNoDelay(true);
                client.setTcpNoDelay(true);
                Thread back = new Thread(() -> pump(Dir.TO_CLIENT), "proxy-" + name + "-down");
                back.setDaemon(true);
                synchronized (threads) {
                    threads.add(back);
                }
                back.start();
                pump(Dir.TO_HUB);
            } catch (InterruptedException e) {
                cut(null);
            } catch (IOException e) {
                cut(null);
            }
        }

        private void pump(Dir dir) {
            WsStream ws = streams[dir.ordinal()];
            byte[] buf = new byte[8192];
            try {
                InputStream in = (dir == Dir.TO_HUB ? client : upstream).getInputStream();
                OutputStream out = (dir == Dir.TO_HUB ? upstream : client).getOutputStream();
                while (!dead) {
                    int throttle = dir == Dir.TO_CLIENT ? throttleBytesPerSecond : 0;
                    int n = in.read(buf, 0, throttle > 0 ? Math.min(buf.length, Math.max(16, throttle / 10)) : buf.length);
                    if (n < 0) break;
                    if (!awaitPassage(this)) break;
                    int delay = maxDelayMillis;
                    if (delay > 0) Thread.sleep(java.util.concurrent.ThreadLocalRandom.current().nextInt(delay + 1));
                    if (throttle > 0) Thread.sleep(Math.max(1, n * 1000L / throttle));
                    int pass = n;
                    String cutWhy = null;
                    for (int i = 0; i < n; i++) {
                        ws.accept(buf[i]);
                        cutWhy = cutHere(dir, ws);
                        if (cutWhy != null) {
                            pass = i + 1;
                            break;
                        }
                    }
                    out.write(buf, 0, pass);
                    out.flush();
                    learnHandshake(dir, ws);
                    if (cutWhy != null) {
                        log.fault(cutWhy, name + " " + dir + " at " + ws.where() + " (byte " + ws.bytes + ")");
                        if (cutWhy.equals("cut-in-handshake")) log.count("handshake cut " + handshakeStage(dir, ws), 1);
                        cut(null);
                        break;
                    }
                }
            } catch (IOException | InterruptedException e) {
                // reset by the other side or by cut(): either way this link is over
            }
            cut(null);
        }

        /** Names the handshake step a cut landed in, for the summary. */
        private String handshakeStage(Dir dir, WsStream ws) {
            if (ws.inHttp()) return dir == Dir.TO_HUB ? "in the HTTP upgrade request" : "in the HTTP 101 response";
            if (!ws.insideDataFrame()) return "between frames (" + dir + ")";
            if (dir == Dir.TO_HUB) return ws.dataFrames == 0 ? "inside hello" : "inside the first push";
            return ws.dataFrames == 0 ? "inside welcome" : ws.dataFrames == 1 ? "inside catch-up" : "after the handshake";
        }

        /** Decides, after each byte, whether an armed cut fires here; returns its fault kind. */
        private String cutHere(Dir dir, WsStream ws) {
            if (cutDir == dir && ws.bytes >= cutAfter) {
                cutDir = null;
                return "cut-in-handshake";
            }
            if (midMessageDir == dir && ws.insideDataFrame() && ws.dataFrames >= (dir == Dir.TO_HUB ? 1 : 2)) {
                synchronized (ChaosProxy.this) {
                    if (midMessageDir != dir) return null;
                    if (midMessageAfter-- > 0) return null;
                    midMessageDir = null;
                }
                return "cut-mid-message";
            }
            return null;
        }

        private void learnHandshake(Dir dir, WsStream ws) {
            int frames = dir == Dir.TO_HUB ? 1 : 2;
            if (ws.dataFrames == frames && ws.bytes > 50) {
                synchronized (ChaosProxy.this) {
                    handshakeBytes[dir.ordinal()] = Math.max(handshakeBytes[dir.ordinal()], ws.bytes);
                }
            }
        }

        /** Resets both sides (SO_LINGER 0 sends RST, as a dead middlebox or a crashed peer would). */
        void cut(String why) {
            if (dead) return;
            dead = true;
            links.remove(this);
            if (why != null) log.event("proxy " + name + " reset a connection (" + why + ")");
            reset(client);
            Socket up = upstream;
            if (up != null) reset(up);
        }
    }

    private static void reset(Socket s) {
        try {
            if (!s.isClosed()) s.setSoLinger(true, 0);
        } catch (SocketException ignored) {
            // already gone
        }
        try {
            s.close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    @Override
    public void close() {
        closed = true;
        synchronized (this) {
            notifyAll();
        }
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        cutAll(null);
        List<Thread> all;
        synchronized (threads) {
            all = new ArrayList<>(threads);
        }
        all.add(acceptor);
        for (Thread t : all) {
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (t.isAlive()) t.interrupt();
        }
    }
}
