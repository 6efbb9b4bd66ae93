package dev.tandem.chaos;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hostile client's verdicts against a hub that nobody stops: every kind of garbage must be
 * answered with its error and a close. A close without the error is a problem, not "the hub was
 * down", or the chaos run could not notice a hub that stopped explaining itself.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class GarbageClientTest {

    @Test
    void everyKindOfGarbageGetsItsErrorFromARunningHub(@TempDir Path dir) throws Exception {
        FaultLog log = new FaultLog();
        Path data = dir.resolve("data");
        String token = dev.tandem.hub.Tokens.issue(data, "garbage", "garbage", "garbage room", dev.tandem.hub.Grant.Role.EDITOR, java.time.Duration.ofHours(1));
        try (HubProcess hub = new HubProcess(data, dir.resolve("hub.log"), List.of());
             GarbageClient garbage = new GarbageClient(log, token)) {
            hub.start();
            Random rnd = new Random(5);
            for (GarbageClient.Kind kind : GarbageClient.Kind.values()) {
                assertTrue(garbage.attack(kind, hub, "garbage room", rnd), kind + " got no verdict although the hub kept running");
            }
            assertEquals(List.of(), log.problems());
            assertEquals(GarbageClient.Kind.values().length, log.faults("garbage-client"), "each kind was answered");
        }
    }
}
