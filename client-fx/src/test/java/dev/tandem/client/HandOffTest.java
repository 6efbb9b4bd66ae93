package dev.tandem.client;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The hand-off endpoint is an input from the network: real loopback sockets, the real instance
 * file, and requests a hostile local program could send.
 */
class HandOffTest {
    @TempDir Path dir;
    private final BlockingQueue<LaunchOptions> received = new LinkedBlockingQueue<>();
    private HandOff handOff;

    @AfterEach
    void close() throws IOException {
        if (handOff != null) handOff.close();
    }

    private Properties instanceFile() throws IOException {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(dir.resolve(HandOff.FILE))) {
            p.load(in);
        }
        return p;
    }

    /** Sends raw bytes to the endpoint and returns its answer line. */
    private String raw(byte[] request) throws IOException {
        int port = Integer.parseInt(instanceFile().getProperty("port"));
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request);
            s.shutdownOutput();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        }
    }

    private String request(String secret, String... args) throws IOException {
        StringBuilder b = new StringBuilder("tandem-handoff 1\n").append(secret).append('\n').append(args.length).append('\n');
        for (String a : args) b.append(a).append('\n');
        return raw(b.toString().getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void validRequest_reachesTheRunningInstance() throws Exception {
        handOff = HandOff.listen(dir, received::add);
        HandOff.send(dir, List.of("--server", "ws://127.0.0.1:9", "--room", "notes", "--name", "Bob"));
        LaunchOptions o = received.poll(10, TimeUnit.SECONDS);
        assertNotNull(o);
        assertEquals("notes", o.room);
        assertTrue(o.opensRoomDirectly());
        if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
            assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
                    Files.getPosixFilePermissions(dir.resolve(HandOff.FILE)), "the secret is for the profile's owner only");
        }
    }

    @Test
    void wrongSecret_garbageAndOversizeRequests_areRefusedAndNothingHappens() throws Exception {
        handOff = HandOff.listen(dir, received::add);
        String secret = instanceFile().getProperty("secret");
        String wrong = (secret.charAt(0) == 'a' ? "b" : "a") + secret.substring(1);
        assertEquals("error wrong secret", request(wrong, "--room", "notes"));
        assertEquals("error wrong secret", request("", "--room", "notes"));
        assertTrue(raw("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.UTF_8)).startsWith("error not a Tandem"));
        assertTrue(raw(new byte[HandOff.MAX_REQUEST_BYTES + 100]).startsWith("error request longer than"));
        assertTrue(raw(new byte[] {(byte) 0xff, (byte) 0xfe, '\n'}).startsWith("error"), "not UTF-8");
        assertTrue(request(secret, "--room", "a\u0007b").startsWith("error an argument contains a control character"));
        assertTrue(request(secret, "--room", "../../etc").startsWith("error"), "the command line's own checks apply");
        assertTrue(request(secret, "--help").startsWith("error"));
        assertTrue(raw(("tandem-handoff 1\n" + secret + "\n5\n--room\n").getBytes(StandardCharsets.UTF_8)).startsWith("error bad argument count"));
        assertTrue(raw(("tandem-handoff 1\n" + secret + "\n99999999999\n").getBytes(StandardCharsets.UTF_8)).startsWith("error bad argument count"));
        HandOff.Refused refused = assertThrows(HandOff.Refused.class, () -> HandOff.send(dir, List.of("--room", "../../etc")));
        assertTrue(refused.getMessage().startsWith("it refused: "), refused.getMessage());
        assertThrows(HandOff.Refused.class, () -> HandOff.send(dir, List.of("--name", "a\nb")), "checked before sending too");
        assertNull(received.poll(0, TimeUnit.SECONDS), "nothing was handed over");
        // And it still serves honest requests afterwards.
        assertEquals("ok", request(secret, "--room", "notes", "--server", "ws://127.0.0.1:9"));
        assertNotNull(received.poll(10, TimeUnit.SECONDS));
    }

    @Test
    void silentClient_doesNotBlockTheEndpointForever() throws Exception {
        handOff = HandOff.listen(dir, received::add);
        int port = Integer.parseInt(instanceFile().getProperty("port"));
        try (Socket silent = new Socket(InetAddress.getLoopbackAddress(), port)) {
            // Says nothing and keeps the connection open: the endpoint gives up on it after its timeout.
            HandOff.send(dir, List.of("--room", "notes", "--server", "ws://127.0.0.1:9"));
        }
        assertNotNull(received.poll(10, TimeUnit.SECONDS));
    }

    @Test
    void noInstance_staleFile_orClosedEndpoint_failWithAReason() throws Exception {
        IOException none = assertThrows(IOException.class, () -> HandOff.send(dir, List.of()));
        assertTrue(none.getMessage().contains("not opened its hand-off endpoint"), none.getMessage());
        handOff = HandOff.listen(dir, received::add);
        Properties p = instanceFile();
        handOff.close();
        handOff = null;
        assertFalse(Files.exists(dir.resolve(HandOff.FILE)), "closing removes the instance file");
        // A file left behind by a process that is gone.
        long gone = new ProcessBuilder("true").start().onExit().get(10, TimeUnit.SECONDS).pid();
        p.setProperty("pid", Long.toString(gone));
        try (var out = Files.newOutputStream(dir.resolve(HandOff.FILE))) {
            p.store(out, null);
        }
        IOException stale = assertThrows(IOException.class, () -> HandOff.send(dir, List.of()));
        assertTrue(stale.getMessage().contains("not running"), stale.getMessage());
    }
}
