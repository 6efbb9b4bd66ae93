package dev.tandem.chaos;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The chaos run without Maven or JUnit, e.g. to try another build of a module on the class path:
 * {@code java -cp <test classpath> dev.tandem.chaos.ChaosMain short|soak [MINUTES] [SEED]}.
 * Keeps its run directory (printed). Exits 0 on success, 1 if the run found problems.
 */
public final class ChaosMain {
    private ChaosMain() {}

    public static void main(String[] args) throws Exception {
        boolean soak = args.length > 0 && args[0].equals("soak");
        double minutes = args.length > 1 ? Double.parseDouble(args[1]) : 10;
        long seed = args.length > 2 ? Long.parseLong(args[2]) : Seeds.seed();
        ChaosRun.Settings settings = soak ? ChaosRun.Settings.soak(seed, Duration.ofMillis((long) (minutes * 60_000)))
                : ChaosRun.Settings.shortRun(seed);
        Path dir = Files.createTempDirectory("tandem-chaos-");
        ChaosRun run = new ChaosRun(settings, dir);
        try {
            run.run();
        } catch (Exception e) {
            e.printStackTrace();
        }
        System.exit(run.log().problems().isEmpty() ? 0 : 1);
    }
}
