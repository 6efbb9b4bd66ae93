package dev.tandem.client;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/** The system theme probe: each system's answer as its tool prints it, and everything that must count as light. */
class SystemThemeTest {
    /** Answers commands from a table (by their last argument); anything else did not run. Records what was asked. */
    private static final class Table implements SystemTheme.Runner {
        final Map<String, String> answers;
        final List<List<String>> asked = new ArrayList<>();

        Table(Map<String, String> answers) {
            this.answers = answers;
        }

        @Override
        public Optional<String> run(List<String> command) {
            asked.add(command);
            return Optional.ofNullable(answers.get(command.get(command.size() - 1)));
        }
    }

    private static boolean linux(Map<String, String> answers) {
        return SystemTheme.prefersDark("Linux", new Table(answers));
    }

    @Test
    void linux_colorSchemeFirst_thenGtkThemeName() {
        assertTrue(linux(Map.of("color-scheme", "'prefer-dark'\n")));
        assertFalse(linux(Map.of("color-scheme", "'prefer-light'\n", "gtk-theme", "'Adwaita-dark'\n")), "an explicit light scheme wins");
        assertTrue(linux(Map.of("color-scheme", "'default'\n", "gtk-theme", "'Adwaita-dark'\n")), "no preference: the GTK theme decides");
        assertTrue(linux(Map.of("gtk-theme", "'Yaru-Dark'\n")), "older GNOME without color-scheme");
        assertFalse(linux(Map.of("color-scheme", "'default'\n", "gtk-theme", "'Adwaita'\n")));
        assertFalse(linux(Map.of()), "no gsettings at all (or it timed out): light");
    }

    @Test
    void linux_garbageIsLight() {
        assertFalse(linux(Map.of("color-scheme", "No such key “color-scheme”\n")));
        assertFalse(linux(Map.of("color-scheme", "\u0000\u0001binary", "gtk-theme", "")));
        assertFalse(linux(Map.of("gtk-theme", "'" + "x".repeat(300) + "dark'")), "an absurdly long name is not believed");
        assertFalse(SystemTheme.gnomeColorSchemeIsDark("prefer-darkish").orElse(false));
    }

    @Test
    void mac_darkOnlyWhenItSaysDark() {
        Table dark = new Table(Map.of("AppleInterfaceStyle", "Dark\n"));
        assertTrue(SystemTheme.prefersDark("Mac OS X", dark));
        assertEquals(List.of("defaults", "read", "-g", "AppleInterfaceStyle"), dark.asked.get(0));
        // Light mode: the key does not exist and defaults exits 1, which the runner reports as nothing.
        assertFalse(SystemTheme.prefersDark("Mac OS X", new Table(Map.of())));
        assertFalse(SystemTheme.prefersDark("Mac OS X", new Table(Map.of("AppleInterfaceStyle", "Light\n"))));
        assertFalse(SystemTheme.prefersDark("Mac OS X", new Table(Map.of("AppleInterfaceStyle", "Darker than dark"))));
    }

    @Test
    void windows_appsUseLightThemeZeroIsDark() {
        String dark = "\r\nHKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Themes\\Personalize\r\n"
                + "    AppsUseLightTheme    REG_DWORD    0x0\r\n\r\n";
        Table t = new Table(Map.of("AppsUseLightTheme", dark));
        assertTrue(SystemTheme.prefersDark("Windows 11", t));
        assertEquals("reg", t.asked.get(0).get(0));
        assertFalse(SystemTheme.prefersDark("Windows 10", new Table(Map.of("AppsUseLightTheme", dark.replace("0x0", "0x1")))));
        assertFalse(SystemTheme.prefersDark("Windows 10", new Table(Map.of())), "no such value (older Windows): light");
        assertEquals(Optional.empty(), SystemTheme.windowsIsDark("AppsUseLightTheme REG_SZ 0"));
        assertEquals(Optional.empty(), SystemTheme.windowsIsDark("AppsUseLightTheme REG_DWORD 0xZZ"));
        assertEquals(Optional.empty(), SystemTheme.windowsIsDark("AppsUseLightTheme REG_DWORD 0x" + "0".repeat(40)));
        assertEquals(Optional.empty(), SystemTheme.windowsIsDark("ERROR: The system was unable to find the specified registry key or value."));
    }

    @Test
    @DisabledOnOs(OS.WINDOWS)
    void run_givesTheOutput_andNothingOnFailure() {
        assertEquals(Optional.of("prefer-dark\n"), SystemTheme.run(List.of("sh", "-c", "echo prefer-dark"), Duration.ofSeconds(5)));
        assertEquals(Optional.empty(), SystemTheme.run(List.of("sh", "-c", "echo dark; exit 3"), Duration.ofSeconds(5)), "a failed command says nothing");
        assertEquals(Optional.empty(), SystemTheme.run(List.of("no-such-program-tandem-test"), Duration.ofSeconds(5)));
        String big = SystemTheme.run(List.of("sh", "-c", "head -c 100000 /dev/zero | tr '\\0' d"), Duration.ofSeconds(5)).orElseThrow();
        assertEquals(SystemTheme.MAX_OUTPUT, big.length(), "output is read up to a bound");
    }

    @Test
    @DisabledOnOs(OS.WINDOWS)
    void run_killsACommandThatHangs() {
        long start = System.nanoTime();
        assertEquals(Optional.empty(), SystemTheme.run(List.of("sh", "-c", "echo dark; sleep 5"), Duration.ofMillis(300)));
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ms < 3000, "gave up after " + ms + " ms");
        // A child that keeps the output open after its parent was killed does not hold the caller either.
        start = System.nanoTime();
        assertEquals(Optional.empty(), SystemTheme.run(List.of("sh", "-c", "sleep 5 & sleep 5"), Duration.ofMillis(300)));
        assertTrue((System.nanoTime() - start) / 1_000_000 < 3000);
    }
}
