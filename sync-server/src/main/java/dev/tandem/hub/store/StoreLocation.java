package dev.tandem.hub.store;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a hub keeps its rooms: the value of {@code --store}. Operator input, but still checked
 * before anything connects: an unknown scheme, a missing database or a bad port is refused with
 * a message that says what was expected. {@link #toString()} never shows a password.
 */
public sealed interface StoreLocation {

    /** Opens the store here. */
    RoomStore open();

    /** SQLite in {@code dir} (one hub per directory). */
    record Sqlite(Path dir) implements StoreLocation {
        public Sqlite {
            if (dir == null) throw new IllegalArgumentException("the SQLite store needs a directory");
        }

        @Override
        public RoomStore open() {
            return SqliteRoomStore.open(dir);
        }

        @Override
        public String toString() {
            return "sqlite:" + dir;
        }
    }

    /**
     * A PostgreSQL database, shared by every hub that names it.
     *
     * @param password null to connect without one (trust or peer authentication)
     */
    record Postgres(String host, int port, String database, String user, String password) implements StoreLocation {
        public Postgres {
            if (host == null || host.isEmpty()) throw new IllegalArgumentException("the PostgreSQL store needs a host");
            if (port < 1 || port > 65535) throw new IllegalArgumentException("PostgreSQL port was " + port + ", must be 1..65535");
            if (database == null || database.isEmpty()) throw new IllegalArgumentException("the PostgreSQL store needs a database name");
            if (user == null || user.isEmpty()) throw new IllegalArgumentException("the PostgreSQL store needs a user");
        }

        /** The JDBC URL without credentials (they go to the driver as properties, never in a URL). */
        public String jdbcUrl() {
            String h = host.contains(":") ? "[" + host + "]" : host;
            return "jdbc:postgresql://" + h + ":" + port + "/" + java.net.URLEncoder.encode(database, StandardCharsets.UTF_8).replace("+", "%20");
        }

        @Override
        public RoomStore open() {
            return PostgresRoomStore.open(this);
        }

        @Override
        public String toString() {
            return "postgresql://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + "/" + database + "?user=" + user
                    + (password != null ? "&password=***" : "");
        }
    }

    /** Longest value accepted: a URL, not a file. */
    int MAX_LENGTH = 2048;

    /** host (a name, IPv4, or [IPv6]), optional :port, /database, optional ?query. */
    Pattern POSTGRES = Pattern.compile("postgres(?:ql)?://(\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9.-]+)(?::([^/?]*))?(?:/([^?]*))?(?:\\?(.*))?");

    /**
     * Parses {@code sqlite:DIR} or {@code postgresql://HOST[:PORT]/DB?user=U[&password=P]}
     * (port 5432 if left out; {@code postgres://} is accepted too).
     *
     * @param envPassword the password from the environment ({@code TANDEM_STORE_PASSWORD}), used
     *     when the URL has none, so it need not appear on a command line; null if unset
     * @throws IllegalArgumentException with a message naming what is wrong (never the password)
     */
    static StoreLocation parse(String url, String envPassword) {
        if (url == null || url.isBlank()) throw new IllegalArgumentException("--store is empty");
        if (url.length() > MAX_LENGTH) throw new IllegalArgumentException("--store is " + url.length() + " characters long, at most " + MAX_LENGTH);
        for (int i = 0; i < url.length(); i++) {
            if (Character.isISOControl(url.charAt(i))) throw new IllegalArgumentException("--store contains a control character");
        }
        if (url.startsWith("sqlite:")) {
            String dir = url.substring("sqlite:".length());
            if (dir.isEmpty()) throw new IllegalArgumentException("--store sqlite: needs a directory, as in sqlite:/var/lib/tandem");
            try {
                return new Sqlite(Path.of(dir));
            } catch (InvalidPathException e) {
                throw new IllegalArgumentException("--store " + url + ": not a directory path: " + e.getMessage());
            }
        }
        if (!url.startsWith("postgresql://") && !url.startsWith("postgres://")) {
            int colon = url.indexOf(':');
            String scheme = colon > 0 ? url.substring(0, colon) : url;
            throw new IllegalArgumentException("--store: unknown scheme \"" + clip(scheme)
                    + "\"; expected sqlite:DIR or postgresql://HOST:PORT/DATABASE?user=USER");
        }
        String authority = url.substring(url.indexOf("//") + 2).split("[/?]", 2)[0];
        if (authority.contains("@")) {
            throw new IllegalArgumentException("--store: not a PostgreSQL URL this hub reads: user and password go in the query"
                    + " (postgresql://HOST:PORT/DATABASE?user=USER), not before the host");
        }
        Matcher m = POSTGRES.matcher(url);
        if (!m.matches()) {
            throw new IllegalArgumentException("--store: not a PostgreSQL URL (expected postgresql://HOST:PORT/DATABASE?user=USER; "
                    + "user names and passwords go in the query, not before the host)");
        }
        String host = m.group(1);
        if (host.startsWith("[")) host = host.substring(1, host.length() - 1);
        int port = 5432;
        if (m.group(2) != null) {
            try {
                port = Integer.parseInt(m.group(2));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--store: port \"" + clip(m.group(2)) + "\" is not a number");
            }
            if (port < 1 || port > 65535) throw new IllegalArgumentException("--store: port " + port + " is out of range (1..65535)");
        }
        String database = m.group(3) == null ? "" : decode(m.group(3), "database");
        if (database.isEmpty()) throw new IllegalArgumentException("--store: no database; expected postgresql://HOST:PORT/DATABASE?user=USER");
        if (database.length() > 63) throw new IllegalArgumentException("--store: database name is longer than PostgreSQL's 63 bytes");
        Map<String, String> query = new LinkedHashMap<>();
        if (m.group(4) != null && !m.group(4).isEmpty()) {
            for (String pair : m.group(4).split("&", -1)) {
                int eq = pair.indexOf('=');
                String key = eq < 0 ? pair : pair.substring(0, eq);
                if (!key.equals("user") && !key.equals("password")) {
                    throw new IllegalArgumentException("--store: unknown parameter \"" + clip(key) + "\"; only user and password are read");
                }
                if (eq < 0) throw new IllegalArgumentException("--store: parameter " + key + " has no value");
                if (query.put(key, decode(pair.substring(eq + 1), key)) != null) {
                    throw new IllegalArgumentException("--store: parameter " + key + " is given twice");
                }
            }
        }
        String user = query.get("user");
        if (user == null || user.isEmpty()) throw new IllegalArgumentException("--store: no user; add ?user=USER");
        String password = query.containsKey("password") ? query.get("password") : envPassword;
        if (password != null && password.isEmpty()) password = null;
        return new Postgres(host, port, database, user, password);
    }

    private static String decode(String s, String what) {
        try {
            String d = URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
            for (int i = 0; i < d.length(); i++) {
                if (Character.isISOControl(d.charAt(i))) throw new IllegalArgumentException("--store: the " + what + " contains a control character");
            }
            return d;
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("--store")) throw e;
            throw new IllegalArgumentException("--store: the " + what + " has a bad %-escape");
        }
    }

    private static String clip(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
