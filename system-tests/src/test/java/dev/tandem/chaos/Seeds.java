package dev.tandem.chaos;

/** The run's seed: {@code -Dtandem.chaos.seed=N} to replay one, else a fresh one (printed by the run). */
final class Seeds {
    private Seeds() {}

    static long seed() {
        String s = System.getProperty("tandem.chaos.seed", "");
        return s.isBlank() ? new java.security.SecureRandom().nextLong() : Long.parseLong(s.trim());
    }
}
