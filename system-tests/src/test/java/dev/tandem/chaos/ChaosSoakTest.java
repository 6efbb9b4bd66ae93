package dev.tandem.chaos;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The soak: the same chaos for {@code -Dtandem.soak.minutes} minutes (default 10) with eight
 * clients. Only with {@code -Plong}:
 * {@code ./mvnw -pl system-tests -am verify -Plong -Dtandem.soak.minutes=10}.
 */
@Tag("long")
class ChaosSoakTest {

    @Test
    void soak(@TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir) {
        double minutes = Double.parseDouble(System.getProperty("tandem.soak.minutes", "10").isBlank() ? "10" : System.getProperty("tandem.soak.minutes"));
        Duration chaos = Duration.ofMillis((long) (minutes * 60_000));
        ChaosRun.Settings settings = ChaosRun.Settings.soak(Seeds.seed(), chaos);
        ChaosRun run = new ChaosRun(settings, dir);
        assertTimeoutPreemptively(chaos.plus(Duration.ofMinutes(6)), () -> run.run());
        assertTrue(run.log().problems().isEmpty(), () -> "soak failed (seed " + settings.seed() + "):\n  "
                + String.join("\n  ", run.log().problems()));
        ChaosRun.assertCoverage(run.log());
    }
}
