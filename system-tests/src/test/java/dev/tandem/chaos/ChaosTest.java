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
 * The chaos suite in the normal build: a minute of faults against a real hub process and six
 * headless clients, then convergence and no-loss checks (see docs/reliability.md). The seed is
 * printed; {@code -Dtandem.chaos.seed=N} replays its choices.
 */
@Tag("chaos")
class ChaosTest {

    @Test
    void everyoneConvergesAndNothingIsLostUnderFaults(@TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir) {
        ChaosRun.Settings settings = ChaosRun.Settings.shortRun(Seeds.seed());
        ChaosRun run = new ChaosRun(settings, dir);
        assertTimeoutPreemptively(Duration.ofSeconds(170), () -> run.run());
        assertTrue(run.log().problems().isEmpty(), () -> "chaos run failed (seed " + settings.seed() + "):\n  "
                + String.join("\n  ", run.log().problems()));
        ChaosRun.assertCoverage(run.log());
    }
}
