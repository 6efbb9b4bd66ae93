package dev.tandem.hub;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import dev.tandem.crdt.Doc;
import dev.tandem.sync.HubAddresses;
import dev.tandem.sync.SyncClient;
import dev.tandem.sync.SyncConfig;
import dev.tandem.sync.SyncListener;
import dev.tandem.sync.SyncStatus;

import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Shared plumbing of the one-shot client commands: connect, run, report, exit code. */
abstract class OneShotClient {
    @Parameters(index = "0", paramLabel = "URL", description = {"Hub address, e.g. ws://127.0.0.1:7070.",
            "Several hubs serving the room, comma-separated (up to 16): ws://a:7070,ws://b:7070 or ws://a:7070,b:7070;"
                    + " it starts with a random one and moves to the next when one cannot be reached or drops the connection."})
    String url;
    @Parameters(index = "1", paramLabel = "ROOM", description = "Room name")
    String room;
    @Option(names = "--timeout", defaultValue = "15s", converter = DurationConverter.class, description = "Give up after this long (default ${DEFAULT-VALUE}).")
    Duration timeout;
    @Option(names = "--name", defaultValue = "tandem-cli", description = "Display name shown to the others while connected (default ${DEFAULT-VALUE}); a hub running --auth token shows the token's name instead.")
    String name;
    @Option(names = "--token", defaultValue = "${env:TANDEM_TOKEN}", description = "Access token for a hub running --auth token (env TANDEM_TOKEN).")
    String token;
    @Option(names = "--trust-cert", paramLabel = "FILE", description = "For wss://: also trust this PEM certificate (a hub with a self-signed one).")
    java.nio.file.Path trustCert;
    @Option(names = "--trust-sha256", paramLabel = "HEX", description = "For wss://: also trust the certificate with this SHA-256 fingerprint (64 hex digits).")
    String trustSha256;

    /** Runs {@code body} against a synced client; returns the exit code. */
    int run(String what, ClientBody body) {
        PrintStream err = System.err;
        CompletableFuture<String> fatal = new CompletableFuture<>();
        SyncClient client;
        try {
            dev.tandem.sync.TlsTrust trust = trustCert != null ? dev.tandem.sync.TlsTrust.withCertificate(trustCert)
                    : trustSha256 != null ? dev.tandem.sync.TlsTrust.withFingerprint(trustSha256) : null;
            hubs = HubAddresses.parse(url);
            // With several hubs, one that swallows packets must not use up the whole --timeout.
            Duration perAttempt = hubs.size() == 1 ? timeout : timeout.dividedBy(hubs.size());
            SyncConfig config = SyncConfig.builder(hubs, room, new Doc()).user(name, "#607d8b").token(token).trust(trust).coalesce(Duration.ZERO)
                    .connectTimeout(perAttempt.isZero() ? Duration.ofMillis(1) : perAttempt).build();
            client = SyncClient.start(config, new SyncListener() {
                @Override
                public void onStatus(SyncStatus s) {
                    if (s.lastError() != null) lastError = s.lastError();
                    if (!s.retrying() && s.lastError() != null) fatal.complete(s.lastError());
                }
            });
        } catch (IllegalArgumentException | java.io.IOException e) {
            err.println("tandem-hub " + what + ": " + e.getMessage());
            return 2;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            CompletableFuture<Object> synced = CompletableFuture.anyOf(client.synced(), fatal);
            Object r = synced.get(remaining(deadline), TimeUnit.NANOSECONDS);
            if (r instanceof String error) {
                err.println("tandem-hub " + what + ": " + error);
                return 1;
            }
            return body.run(client, deadline, fatal);
        } catch (TimeoutException e) {
            String last = lastError;
            err.println("tandem-hub " + what + ": no answer from " + HubAddresses.format(hubs) + " within " + timeout.toMillis() + " ms"
                    + (last == null ? "" : " (" + last + ")"));
            return 1;
        } catch (ExecutionException e) {
            err.println("tandem-hub " + what + ": " + e.getCause().getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } catch (Exception e) {
            err.println("tandem-hub " + what + ": " + e);
            return 1;
        } finally {
            client.close();
        }
    }

    /** The parsed URL: one hub or several. */
    private List<URI> hubs;

    /** Written by the client's session thread, read by main. */
    private volatile String lastError;

    static long remaining(long deadline) {
        return Math.max(1, deadline - System.nanoTime());
    }

    interface ClientBody {
        int run(SyncClient client, long deadline, CompletableFuture<String> fatal) throws Exception;
    }
}

@Command(name = "cat", mixinStandardHelpOptions = true, description = "Print a room's current text to stdout.")
final class CatCommand extends OneShotClient implements java.util.concurrent.Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        return run("cat", (client, deadline, fatal) -> {
            String text = client.text().get(remaining(deadline), TimeUnit.NANOSECONDS);
            java.io.PrintWriter out = spec.commandLine().getOut();
            out.print(text);
            out.flush();
            return 0;
        });
    }
}

@Command(name = "append", mixinStandardHelpOptions = true,
        description = "Append TEXT at the end of a room; exits 0 only once the hub acknowledged it as durable.")
final class AppendCommand extends OneShotClient implements java.util.concurrent.Callable<Integer> {
    @Parameters(index = "2", paramLabel = "TEXT", description = "Text to append")
    String text;

    @Override
    public Integer call() {
        return run("append", (client, deadline, fatal) -> {
            client.edit(doc -> doc.insert(doc.length(), text)).get(remaining(deadline), TimeUnit.NANOSECONDS);
            Object r = CompletableFuture.anyOf(client.flush(), fatal).get(remaining(deadline), TimeUnit.NANOSECONDS);
            if (r instanceof String error) {
                System.err.println("tandem-hub append: not acknowledged: " + error);
                return 1;
            }
            return 0;
        });
    }
}
