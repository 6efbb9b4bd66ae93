package dev.tandem.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code --config FILE}: every serve option from a file, the command line and the environment above it, bad files refused. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConfigFileTest {
    @TempDir
    Path dir;

    private Path conf(String text) throws Exception {
        Path f = dir.resolve("hub.conf");
        Files.writeString(f, text);
        return f;
    }

    /** Parses like main() without starting a hub; the serve options that result. */
    private static ServeCommand.Options parse(String... args) {
        CommandLine cl = HubMain.commandLine();
        String problem = HubMain.readConfig(cl, args);
        assertNull(problem);
        cl.parseArgs(args);
        return ((HubMain) cl.getCommand()).serve;
    }

    private static String refused(String... args) {
        CommandLine cl = HubMain.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        assertEquals(2, HubMain.execute(cl, args));
        return err.toString();
    }

    @Test
    void everyServeOptionCanComeFromTheFile() throws Exception {
        Path f = conf("""
                # the hub's settings
                host = 0.0.0.0
                port = 7171
                data = /var/lib/tandem

                max-message-bytes = 2048
                max-queued-bytes = 8192
                max-queued-messages = 7
                rate = 3.5
                burst = 9
                byte-rate = 4096
                max-rooms = 11
                max-room-bytes = 65536
                max-held-runs = 13
                max-held-chars = 17
                idle-timeout = 20s
                unload-after = 2m
                compact-every = 19
                write-linger = 3ms
                """);
        ServeCommand.Options o = parse("--config", f.toString());
        HubConfig c = o.toConfig();
        assertEquals(new HubConfig("0.0.0.0", 7171, Path.of("/var/lib/tandem"), 2048, 8192, 7, 3.5, 9, 4096, 11, 65536, 13, 17,
                Duration.ofSeconds(20), Duration.ofMinutes(2), 19, Duration.ofSeconds(5), HubSecurity.defaults(), null, null, Duration.ofMillis(3)), c);
        // Same through the "serve" subcommand, and with --config=FILE.
        CommandLine cl = HubMain.commandLine();
        String[] args = {"serve", "--config=" + f};
        assertNull(HubMain.readConfig(cl, args));
        CommandLine.ParseResult r = cl.parseArgs(args);
        ServeCommand serve = (ServeCommand) r.subcommand().commandSpec().userObject();
        assertEquals(7171, serve.options.port);
        assertEquals(13, serve.options.maxHeldRuns);
    }

    @Test
    void theCommandLineOverridesTheFile_andUnsetOptionsKeepTheirDefaults() throws Exception {
        Path f = conf("port = 7171\nmax-rooms = 11\n");
        ServeCommand.Options o = parse("--config", f.toString(), "--port", "7272");
        assertEquals(7272, o.port);
        assertEquals(11, o.maxRooms);
        assertEquals(1000, o.maxHeldRuns);
        // The file's values are not options of the other commands, even with the same name.
        assertEquals(7070, parse("--port", "7070").port);
    }

    @Test
    void everyServeOptionReadsTheEnvironmentVariableTheFileStepsAsideFor() throws Exception {
        int checked = 0;
        for (CommandLine.Model.OptionSpec o : HubMain.commandLine().getSubcommands().get("serve").getCommandSpec().options()) {
            if (o.usageHelp() || o.versionHelp() || o.longestName().equals("--config")) continue;
            java.lang.reflect.Field field = (java.lang.reflect.Field) o.userObject();
            String annotated = field.getAnnotation(CommandLine.Option.class).defaultValue();
            // With a default, or (an option that is off unless given) without one.
            String env = "${env:" + ConfigFile.envVariable(o);
            assertTrue(annotated.startsWith(env + ":-") || annotated.equals(env + "}"), o.longestName() + ": " + annotated);
            checked++;
        }
        assertEquals(HubMain.commandLine().getSubcommands().get("serve").getCommandSpec().options().size() - 3, checked);
        assertTrue(checked >= 26, "every serve option, the access options included: " + checked);
    }

    @Test
    void theEnvironmentOverridesTheFile() throws Exception {
        int filePort;
        int envPort;
        try (ServerSocket a = new ServerSocket(0); ServerSocket b = new ServerSocket(0)) {
            filePort = a.getLocalPort();
            envPort = b.getLocalPort();
        }
        Path f = conf("port = " + filePort + "\nhost = 127.0.0.1\ndata = " + dir.resolve("data") + "\n");
        ProcessBuilder pb = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                HubMain.class.getName(), "--config", f.toString())).redirectErrorStream(true);
        pb.environment().put("TANDEM_PORT", Integer.toString(envPort));
        pb.environment().remove("TANDEM_CONFIG");
        Process p = pb.start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String listening = null;
            for (String line; (line = out.readLine()) != null; ) {
                if (line.startsWith("tandem-hub listening on")) {
                    listening = line;
                    break;
                }
            }
            assertEquals("tandem-hub listening on ws://127.0.0.1:" + envPort, listening);
        } finally {
            p.toHandle().destroy(); // SIGTERM: the hub stops gracefully
            assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        }
    }

    @Test
    void badFilesAreRefusedWithTheReason() throws Exception {
        assertTrue(refused("--config", dir.resolve("missing.conf").toString()).contains("no such file"));

        String unknown = refused("--config", conf("port = 7070\nprot = 7071\n").toString());
        assertTrue(unknown.contains("line 2: unknown option 'prot'"), unknown);

        String twice = refused("--config", conf("port = 1\nport = 2\n").toString());
        assertTrue(twice.contains("line 2: 'port' is set twice"), twice);

        String noEquals = refused("--config", conf("port 7070\n").toString());
        assertTrue(noEquals.contains("line 1: expected 'option = value'"), noEquals);

        String empty = refused("--config", conf("port =\n").toString());
        assertTrue(empty.contains("'port' has no value"), empty);

        // Options of other commands and the config option itself are not settable from the file.
        assertTrue(refused("--config", conf("timeout = 5s\n").toString()).contains("unknown option 'timeout'"));
        assertTrue(refused("--config", conf("config = /etc/passwd\n").toString()).contains("unknown option 'config'"));

        // A value picocli cannot convert is reported like a bad command-line value.
        CommandLine cl = HubMain.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        assertEquals(2, HubMain.execute(cl, "--config", conf("port = seventy\n").toString()));
        assertTrue(err.toString().contains("seventy"), err.toString());
    }

    @Test
    void aWriteLingerOutsideItsRangeIsRefusedByName() throws Exception {
        assertEquals(Duration.ZERO, parse().toConfig().writeLinger(), "off unless asked for");
        assertEquals(Duration.ofMillis(8), parse("--write-linger", "8ms").toConfig().writeLinger());
        for (String bad : new String[] {"101ms", "1s", "-1ms"}) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> parse("--write-linger", bad).toConfig());
            assertTrue(e.getMessage().startsWith("--write-linger was ") && e.getMessage().endsWith("must be 0ms to 100ms"), e.getMessage());
        }
        assertTrue(refused("--write-linger", "soon").contains("'soon' is not a duration"));
    }

    @Test
    void hostileFilesAreRefusedBeforeTheyAreRead() throws Exception {
        Path big = dir.resolve("big.conf");
        Files.write(big, new byte[ConfigFile.MAX_BYTES + 1]);
        String tooBig = refused("--config", big.toString());
        assertTrue(tooBig.contains("at most " + ConfigFile.MAX_BYTES), tooBig);

        Path binary = dir.resolve("binary.conf");
        Files.write(binary, new byte[] {'p', 'o', 'r', 't', '=', (byte) 0xff, (byte) 0xfe});
        assertTrue(refused("--config", binary.toString()).contains("not UTF-8"));

        // A key made to forge a line in a log comes out with its control characters replaced.
        String forged = refused("--config", conf("x\u001b[2J\rtandem-hub listening = 1\n").toString());
        assertFalse(forged.contains("\u001b") || forged.contains("\r"), forged);
        assertTrue(forged.contains("unknown option 'x?[2J?tandem-hub listening'"), forged);

        // ${...} in a value is taken literally, not expanded from the environment.
        Path f = conf("data = ${env:HOME}/x\n");
        assertEquals(Path.of("${env:HOME}/x"), parse("--config", f.toString()).data);
        assertNotNull(f);
    }
}
