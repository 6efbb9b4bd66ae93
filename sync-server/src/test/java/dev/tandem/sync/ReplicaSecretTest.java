package dev.tandem.sync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.tandem.crdt.Doc;
import dev.tandem.hub.Hub;
import dev.tandem.hub.HubConfig;
import dev.tandem.hub.HubSecurity;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The replica secret kept beside an offline copy: a client that restarts with its copy's replica
 * id and the same secret syncs its offline edits under --auth none; the same id with another
 * secret (the file lost, or someone else) is refused for good.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReplicaSecretTest {
    @TempDir
    Path dir;

    @Test
    void theSecretFileIsOwnerOnlyAndKept() throws Exception {
        Path file = dir.resolve("room.tandem.secret");
        String s = ReplicaSecret.loadOrCreate(file);
        assertEquals(s, ReplicaSecret.loadOrCreate(file));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertTrue(s.length() >= 40);
    }

    @Test
    void offlineEditsUnderTheSameReplicaSyncOnlyWithTheSameSecret() throws Exception {
        try (Hub hub = Hub.start(HubConfig.defaults(dir.resolve("hub")).withPort(0).withSecurity(HubSecurity.none()))) {
            URI uri = URI.create("ws://127.0.0.1:" + hub.port());
            Path copy = dir.resolve("notes.tandem");
            Path secretFile = dir.resolve("notes.tandem.secret");
            long replica = 0x5ec2e7L;
            SyncClient first = SyncClient.start(SyncConfig.builder(uri, "notes", new Doc(replica)).localStore(LocalStore.file(copy))
                    .replicaSecret(ReplicaSecret.loadOrCreate(secretFile)).coalesce(Duration.ZERO).build(), null);
            first.synced().get(20, TimeUnit.SECONDS);
            first.edit(d -> d.insert(0, "online ")).get();
            first.flush().get(20, TimeUnit.SECONDS);
            first.close();

            // Offline: more edits under the same replica id, saved to the copy.
            Doc offline = Doc.decode(LocalStore.file(copy).load(), replica);
            offline.insert(offline.length(), "offline");
            LocalStore.file(copy).save(offline.encode());

            CompletableFuture<SyncStatus> refused = new CompletableFuture<>();
            SyncClient impostor = SyncClient.start(SyncConfig.builder(uri, "notes", Doc.decode(offline.encode(), replica))
                    .replicaSecret(ReplicaSecret.generate()).build(), new SyncListener() {
                        @Override
                        public void onStatus(SyncStatus s) {
                            if (!s.retrying()) refused.complete(s);
                        }
                    });
            assertTrue(refused.get(20, TimeUnit.SECONDS).lastError().startsWith("replica_claimed"));
            impostor.close();

            SyncClient back = SyncClient.start(SyncConfig.builder(uri, "notes", Doc.decode(LocalStore.file(copy).load(), replica))
                    .localStore(LocalStore.file(copy)).replicaSecret(ReplicaSecret.loadOrCreate(secretFile)).build(), null);
            back.synced().get(20, TimeUnit.SECONDS);
            back.flush().get(20, TimeUnit.SECONDS);
            back.close();
            SyncClient reader = SyncClient.start(SyncConfig.builder(uri, "notes", new Doc()).build(), null);
            reader.synced().get(20, TimeUnit.SECONDS);
            assertEquals("online offline", reader.text().get());
            reader.close();
        }
    }
}
