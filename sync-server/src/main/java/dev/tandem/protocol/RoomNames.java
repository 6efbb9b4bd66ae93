package dev.tandem.protocol;

import org.eclipse.jetty.util.URIUtil;

import java.util.regex.Pattern;

/** Room name rules of docs/protocol.md section 1. */
public final class RoomNames {
    private RoomNames() {}

    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9_-]([A-Za-z0-9 ._-]{0,62}[A-Za-z0-9_-])?");

    /** Percent-decodes a raw path segment; null if it does not decode. */
    public static String decode(String raw) {
        if (raw == null) return null;
        try {
            return URIUtil.decodePath(raw);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Null if {@code name} is a valid room name, else why not. */
    public static String problem(String name) {
        if (name == null) return "the room name is not valid percent-encoded UTF-8";
        if (name.isEmpty()) return "the room name is empty";
        if (name.length() > 64) return "the room name is " + name.length() + " characters long, at most 64 are allowed";
        if (!VALID.matcher(name).matches()) {
            return "room name " + Wire.quote(name) + " is invalid: use 1-64 of A-Z a-z 0-9 _ - (and space or . inside the name)";
        }
        return null;
    }

    /** Percent-encodes a valid room name for the path {@code /rooms/{name}} (space becomes %20). */
    public static String encode(String name) {
        StringBuilder sb = new StringBuilder(name.length() + 8);
        for (char c : name.toCharArray()) {
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.') sb.append(c);
            else sb.append('%').append(String.format("%02X", (int) c));
        }
        return sb.toString();
    }
}
