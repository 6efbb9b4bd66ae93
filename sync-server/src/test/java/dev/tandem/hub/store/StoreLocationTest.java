package dev.tandem.hub.store;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code --store}: what is accepted, and a clear refusal of everything else. */
class StoreLocationTest {

    private static String refused(String url) {
        return assertThrows(IllegalArgumentException.class, () -> StoreLocation.parse(url, null), url).getMessage();
    }

    @Test
    void sqliteAndPostgresUrlsAreRead() {
        assertEquals(new StoreLocation.Sqlite(Path.of("/var/lib/tandem")), StoreLocation.parse("sqlite:/var/lib/tandem", null));
        assertEquals(new StoreLocation.Postgres("db.example.org", 6543, "tandem", "hub", null),
                StoreLocation.parse("postgresql://db.example.org:6543/tandem?user=hub", null));
        assertEquals(new StoreLocation.Postgres("10.0.0.5", 5432, "tandem", "hub", "p&ss=w%rd"),
                StoreLocation.parse("postgres://10.0.0.5/tandem?user=hub&password=p%26ss%3Dw%25rd", null));
        assertEquals(new StoreLocation.Postgres("::1", 5432, "my db", "hub", null), StoreLocation.parse("postgresql://[::1]:5432/my%20db?user=hub", null));
        assertEquals("jdbc:postgresql://[::1]:5432/my%20db", StoreLocation.parse("postgresql://[::1]:5432/my%20db?user=hub", null) instanceof StoreLocation.Postgres p
                ? p.jdbcUrl() : null);
    }

    @Test
    void thePasswordComesFromTheEnvironmentUnlessTheUrlHasOneAndIsNeverShown() {
        StoreLocation.Postgres fromEnv = (StoreLocation.Postgres) StoreLocation.parse("postgresql://h:5432/d?user=u", "from-env");
        assertEquals("from-env", fromEnv.password());
        StoreLocation.Postgres inUrl = (StoreLocation.Postgres) StoreLocation.parse("postgresql://h:5432/d?user=u&password=in-url", "from-env");
        assertEquals("in-url", inUrl.password());
        assertFalse(inUrl.toString().contains("in-url"), inUrl.toString());
        assertFalse(fromEnv.toString().contains("from-env"), fromEnv.toString());
        assertTrue(inUrl.toString().contains("password=***"), inUrl.toString());
        // The password is not echoed in refusals either.
        assertFalse(refused("postgresql://h:5432/d?user=u&password=hunter2&sslmode=off").contains("hunter2"));
    }

    @Test
    void badUrlsAreRefusedWithAMessageThatSaysWhatIsWrong() {
        assertTrue(refused("mysql://h/d").contains("unknown scheme \"mysql\""));
        assertTrue(refused("/var/lib/tandem").contains("unknown scheme"));
        assertTrue(refused("sqlite:").contains("needs a directory"));
        assertTrue(refused("postgresql://h:5432/?user=u").contains("no database"));
        assertTrue(refused("postgresql://h:5432?user=u").contains("no database"));
        assertTrue(refused("postgresql://h:54x2/d?user=u").contains("\"54x2\" is not a number"));
        assertTrue(refused("postgresql://h:70000/d?user=u").contains("out of range"));
        assertTrue(refused("postgresql://h:0/d?user=u").contains("out of range"));
        assertTrue(refused("postgresql://h:5432/d").contains("no user"));
        assertTrue(refused("postgresql://h:5432/d?user=").contains("no user"));
        assertTrue(refused("postgresql://h:5432/d?user=u&user=v").contains("given twice"));
        assertTrue(refused("postgresql://h:5432/d?user=u&sslmode=disable").contains("unknown parameter \"sslmode\""));
        assertTrue(refused("postgresql://u:p@h:5432/d").contains("not a PostgreSQL URL"));
        assertTrue(refused("postgresql://h;DROP/d?user=u").contains("not a PostgreSQL URL"));
        assertTrue(refused("postgresql://h:5432/d%ZZ?user=u").contains("bad %-escape"));
        assertTrue(refused("postgresql://h:5432/d?user=u%0A").contains("control character"));
        assertTrue(refused("postgresql://h:5432/d\n?user=u").contains("control character"));
        assertTrue(refused("postgresql://h:5432/" + "d".repeat(64) + "?user=u").contains("63"));
        assertTrue(refused("sqlite:" + "x".repeat(3000)).contains("at most"));
        assertTrue(refused(" ").contains("empty"));
    }
}
