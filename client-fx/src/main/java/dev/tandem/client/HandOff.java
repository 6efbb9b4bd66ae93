package dev.tandem.client;

import dev.tandem.sync.LocalStore;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.function.Consumer;

/**
 * How a second start of Tandem on a profile hands its request (its command line) to the instance
 * that holds the profile ({@link ProfileLock}), which then opens the room or its start screen.
 *
 * <p>The running instance listens on a loopback-only TCP port and writes the port, a random
 * 256-bit secret and its process id to {@code instance.properties} in the profile (readable by
 * the owner only). A request must carry the secret, compared in constant time; it is read with a
 * size bound and a timeout, decoded strictly as UTF-8 and parsed with the command line's own
 * rules ({@link LaunchOptions}); anything else is refused. The endpoint is an input from the
 * network like any other: whatever is on this machine can connect to it.
 *
 * <p>Request: the lines {@code tandem-handoff 1}, the secret (hex), the number of arguments, then
 * one argument per line, then end of stream. Answer: one line, {@code ok} or {@code error MESSAGE}.
 *
 * <p>Threads: {@link #listen} and {@link #close} do socket and disk work: not the FX thread. The
 * listener has a daemon thread of its own that serves one request at a time.
 */
final class HandOff implements AutoCloseable {
    static final String FILE = "instance.properties";
    static final int MAX_REQUEST_BYTES = 8 * 1024;
    static final int MAX_ARGS = 32;
    static final int MAX_ARG_LENGTH = 1024;
    private static final int MAX_FILE_BYTES = 4 * 1024;
    /** How long the endpoint waits for one request: a local program sends it at once. */
    private static final int REQUEST_TIMEOUT_MILLIS = 2_000;
    /** How long a sender waits for the answer: the endpoint serves one request at a time. */
    private static final int ANSWER_TIMEOUT_MILLIS = 15_000;
    private static final String GREETING = "tandem-handoff 1";

    private final ServerSocket server;
    private final Path file;
    private final byte[] secret;
    private final Consumer<LaunchOptions> onRequest;

    private HandOff(ServerSocket server, Path file, byte[] secret, Consumer<LaunchOptions> onRequest) {
        this.server = server;
        this.file = file;
        this.secret = secret;
        this.onRequest = onRequest;
    }

    /**
     * Starts accepting hand-offs for the profile {@code dataDir} (whose {@link ProfileLock} this
     * process holds). Valid requests reach {@code onRequest} on the listener's thread.
     */
    static HandOff listen(Path dataDir, Consumer<LaunchOptions> onRequest) throws IOException {
        ServerSocket server = new ServerSocket();
        try {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
            byte[] secret = new byte[32];
            new SecureRandom().nextBytes(secret);
            Properties p = new Properties();
            p.setProperty("port", Integer.toString(server.getLocalPort()));
            p.setProperty("secret", HexFormat.of().formatHex(secret));
            p.setProperty("pid", Long.toString(ProcessHandle.current().pid()));
            java.io.StringWriter out = new java.io.StringWriter();
            p.store(out, "Tandem instance on this profile: how a second start hands its request over");
            Path file = dataDir.resolve(FILE);
            LocalStore.writeAtomically(file, out.toString().getBytes(StandardCharsets.UTF_8)); // owner-only
            HandOff h = new HandOff(server, file, secret, onRequest);
            Thread t = new Thread(h::serve, "tandem-handoff");
            t.setDaemon(true);
            t.start();
            return h;
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    private void serve() {
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                s.setSoTimeout(REQUEST_TIMEOUT_MILLIS);
                LaunchOptions o;
                try {
                    o = read(s.getInputStream());
                } catch (IOException | IllegalArgumentException e) {
                    String why = firstLine(e.getMessage());
                    System.err.println("tandem: refused a hand-off request from another start on this profile: " + why);
                    reply(s, "error " + why);
                    continue;
                }
                reply(s, "ok");
                onRequest.accept(o);
            } catch (IOException | RuntimeException e) {
                if (!server.isClosed()) System.err.println("tandem: hand-off connection failed: " + e);
            }
        }
    }

    private static void reply(Socket s, String answer) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write((answer + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** Reads and checks one request; any problem is an exception whose message says what. */
    private LaunchOptions read(InputStream in) throws IOException {
        byte[] bytes = in.readNBytes(MAX_REQUEST_BYTES + 1);
        if (bytes.length > MAX_REQUEST_BYTES) throw new IOException("request longer than " + MAX_REQUEST_BYTES + " bytes");
        List<String> lines = strictUtf8(bytes).lines().toList();
        if (lines.size() < 3 || !lines.get(0).equals(GREETING)) throw new IOException("not a Tandem hand-off request");
        if (!MessageDigest.isEqual(lines.get(1).getBytes(StandardCharsets.UTF_8), HexFormat.of().formatHex(secret).getBytes(StandardCharsets.UTF_8))) {
            throw new IOException("wrong secret");
        }
        int count;
        try {
            count = Integer.parseInt(lines.get(2));
        } catch (NumberFormatException e) {
            throw new IOException("bad argument count");
        }
        if (count < 0 || count > MAX_ARGS || lines.size() != 3 + count) throw new IOException("bad argument count");
        List<String> args = lines.subList(3, lines.size());
        for (String a : args) checkArg(a);
        LaunchOptions o = LaunchOptions.parse(args.toArray(String[]::new)); // the command line's own checks
        if (o.helpOnly) throw new IllegalArgumentException("--help and --version are answered by the process that was asked");
        return o;
    }

    private static void checkArg(String a) {
        if (a.length() > MAX_ARG_LENGTH) throw new IllegalArgumentException("an argument is longer than " + MAX_ARG_LENGTH + " characters");
        for (int i = 0; i < a.length(); i++) {
            if (Character.isISOControl(a.charAt(i))) throw new IllegalArgumentException("an argument contains a control character");
        }
    }

    private static String strictUtf8(byte[] bytes) throws IOException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IOException("request is not UTF-8");
        }
    }

    /** The first line of a message, short and free of control characters: what goes back on the wire. */
    private static String firstLine(String s) {
        String line = s == null ? "" : s.lines().findFirst().orElse("").replaceAll("\\p{Cntrl}", " ").strip();
        return line.length() <= 300 ? line : line.substring(0, 300) + "...";
    }

    /** The running instance (or this side) will never take the request: asking again cannot help. */
    static final class Refused extends IOException {
        Refused(String message) {
            super(message);
        }
    }

    /**
     * Hands {@code args} to the instance running on {@code dataDir}. Returns when it accepted
     * them; throws {@link Refused} when it never will, or another IOException with the reason
     * (nobody listening yet or any more, ...).
     */
    static void send(Path dataDir, List<String> args) throws IOException {
        if (args.size() > MAX_ARGS) throw new Refused("more than " + MAX_ARGS + " arguments");
        try {
            for (String a : args) checkArg(a);
        } catch (IllegalArgumentException e) {
            throw new Refused(e.getMessage());
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(dataDir.resolve(FILE))) {
            byte[] bytes = in.readNBytes(MAX_FILE_BYTES + 1);
            if (bytes.length > MAX_FILE_BYTES) throw new IOException(FILE + " is too large");
            p.load(new StringReader(new String(bytes, StandardCharsets.UTF_8)));
        } catch (NoSuchFileException e) {
            throw new IOException("the running instance has not opened its hand-off endpoint (yet)");
        }
        int port;
        long pid;
        try {
            port = Integer.parseInt(p.getProperty("port", ""));
            pid = Long.parseLong(p.getProperty("pid", ""));
        } catch (NumberFormatException e) {
            throw new IOException(FILE + " is unreadable");
        }
        String secret = p.getProperty("secret", "");
        if (port < 1 || port > 65535 || !secret.matches("[0-9a-f]{64}")) throw new IOException(FILE + " is unreadable");
        // A file left by a process that is gone names a port someone else may have now.
        if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            throw new IOException("the process named in " + FILE + " is not running");
        }
        StringBuilder request = new StringBuilder(GREETING).append('\n').append(secret).append('\n').append(args.size()).append('\n');
        for (String a : args) request.append(a).append('\n');
        byte[] bytes = request.toString().getBytes(StandardCharsets.UTF_8);
        if (bytes.length > MAX_REQUEST_BYTES) throw new Refused("request longer than " + MAX_REQUEST_BYTES + " bytes");
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), REQUEST_TIMEOUT_MILLIS);
            s.setSoTimeout(ANSWER_TIMEOUT_MILLIS);
            s.getOutputStream().write(bytes);
            s.shutdownOutput();
            String answer = readLine(s.getInputStream());
            if (answer.equals("ok")) return;
            if (answer.startsWith("error ")) throw new Refused("it refused: " + answer.substring(6));
            throw new IOException("unexpected answer");
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b; (b = in.read()) != -1 && b != '\n'; ) {
            if (line.size() >= 1024) throw new IOException("answer too long");
            line.write(b);
        }
        return line.toString(StandardCharsets.UTF_8);
    }

    /** Stops accepting and removes the instance file (the profile's lock is still held: nobody else wrote it). */
    @Override
    public void close() throws IOException {
        server.close();
        Files.deleteIfExists(file);
    }
}
