package dev.tandem.client;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line's answers that need no display. */
class LaunchOptionsTest {
    @Test
    void versionPrintsTheProjectVersion() {
        String expected = System.getProperty("tandem.expectedVersion");
        assertTrue(expected != null && !expected.isBlank(), "surefire passes the POM's version");
        LaunchOptions o = LaunchOptions.parse("--version");
        assertTrue(o.helpOnly);
        assertEquals("Tandem " + expected + System.lineSeparator(), o.message);
    }
}
