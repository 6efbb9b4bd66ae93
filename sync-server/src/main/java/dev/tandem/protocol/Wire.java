package dev.tandem.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;

import dev.tandem.crdt.Anchor;
import dev.tandem.crdt.Bias;
import dev.tandem.crdt.CrdtFormatException;
import dev.tandem.crdt.Version;

import java.util.Base64;
import java.util.regex.Pattern;

/**
 * JSON codec for {@link Message} and conversions between wire strings and crdt values. Every
 * parse failure is a {@link ProtocolException} with the code to answer with. Thread-safe.
 */
public final class Wire {
    private Wire() {}

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true);

    private static final Pattern COLOR = Pattern.compile("#[0-9a-fA-F]{6}");
    private static final Pattern HEX16 = Pattern.compile("[0-9a-f]{16}");

    /** Parses one text frame. */
    public static Message read(String json) {
        if (!json.stripLeading().startsWith("{")) throw new ProtocolException(ErrorCode.BAD_JSON, "a message must be a JSON object");
        try {
            Message m = MAPPER.readValue(json, Message.class);
            if (m == null) throw new ProtocolException(ErrorCode.BAD_JSON, "a message must be a JSON object, got null");
            return m;
        } catch (InvalidTypeIdException e) {
            String id = e.getTypeId();
            throw new ProtocolException(ErrorCode.UNKNOWN_TYPE,
                    id == null ? "message has no \"type\"" : "unknown message type " + quote(id), e);
        } catch (MismatchedInputException e) {
            throw new ProtocolException(ErrorCode.BAD_MESSAGE, "malformed message: " + printable(firstLine(e.getOriginalMessage())), e);
        } catch (JsonProcessingException e) {
            throw new ProtocolException(ErrorCode.BAD_JSON, "not valid JSON: " + printable(firstLine(e.getOriginalMessage())), e);
        }
    }

    /** Encodes one message as a text frame. */
    public static String write(Message message) {
        try {
            return MAPPER.writeValueAsString(message);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + message.getClass().getSimpleName(), e);
        }
    }

    /** The same text as {@code write(new Message.Ack(seq))}, built without the mapper: one is sent per push. */
    public static String ack(long seq) {
        return "{\"type\":\"ack\",\"seq\":" + seq + "}";
    }

    /** A replica id as 16 lowercase hex digits. */
    public static String replica(long id) {
        String hex = Long.toHexString(id);
        return "0000000000000000".substring(hex.length()) + hex;
    }

    /** Parses a replica id written by {@link #replica(long)}. */
    public static long parseReplica(String s, String field) {
        if (s == null || !HEX16.matcher(s).matches()) {
            throw new ProtocolException(ErrorCode.BAD_MESSAGE, field + " must be 16 lowercase hex digits, was " + quote(s));
        }
        return Long.parseUnsignedLong(s, 16);
    }

    public static String version(Version v) {
        return Base64.getEncoder().encodeToString(v.encode());
    }

    public static Version parseVersion(String s, String field) {
        if (s == null) throw new ProtocolException(ErrorCode.BAD_MESSAGE, field + " is missing");
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException(ErrorCode.BAD_MESSAGE, field + " is not base64: " + e.getMessage(), e);
        }
        try {
            return Version.decode(bytes);
        } catch (CrdtFormatException e) {
            throw new ProtocolException(ErrorCode.BAD_MESSAGE, field + " is not an encoded version vector: " + e.getMessage(), e);
        }
    }

    public static Message.WireAnchor anchor(Anchor a) {
        if (a == null) return null;
        return new Message.WireAnchor(replica(a.replicaId()), a.seq(), a.bias() == Bias.LEFT ? "left" : "right");
    }

    public static Anchor parseAnchor(Message.WireAnchor a, String field) {
        if (a == null) return null;
        Bias bias;
        if ("left".equals(a.bias())) bias = Bias.LEFT;
        else if ("right".equals(a.bias())) bias = Bias.RIGHT;
        else throw new ProtocolException(ErrorCode.BAD_MESSAGE, field + ".bias must be \"left\" or \"right\", was " + quote(a.bias()));
        long replica = parseReplica(a.replica(), field + ".replica");
        if (a.seq() < -1) throw new ProtocolException(ErrorCode.BAD_MESSAGE, field + ".seq must be >= -1, was " + a.seq());
        return new Anchor(replica, a.seq(), bias);
    }

    /** Longest display name, in code points (an emoji is one, however many chars it takes). */
    public static final int MAX_NAME_CODE_POINTS = 64;

    /**
     * Checks a display name and returns it trimmed: 1..64 code points, none of them a control
     * character, a line or paragraph separator, a bidi override or isolate or other format
     * character (zero-width joiners excepted: emoji and several scripts need them), a lone
     * surrogate or a noncharacter. Such names could break a line in a log or a list, or make
     * other text read backwards.
     */
    public static String checkName(String name) {
        String t = name == null ? "" : name.strip();
        int count = t.codePointCount(0, t.length());
        if (count == 0 || count > MAX_NAME_CODE_POINTS) {
            throw new ProtocolException(ErrorCode.BAD_MESSAGE, "user.name must be 1.." + MAX_NAME_CODE_POINTS + " characters, was " + quote(name));
        }
        int bad = t.codePoints().filter(Wire::unsafe).findFirst().orElse(-1);
        if (bad >= 0) {
            throw new ProtocolException(ErrorCode.BAD_MESSAGE, String.format("user.name must not contain control, line-break, bidi or other "
                    + "invisible format characters, found U+%04X in %s", bad, quote(name)));
        }
        return t;
    }

    /** Longest version name, in code points. */
    public static final int MAX_VERSION_NAME_CODE_POINTS = 100;

    /**
     * Checks the name of a named version and returns it trimmed: 1..100 code points, none of them
     * a character {@link #checkName} refuses (control, line break, bidi, invisible format...).
     */
    public static String checkVersionName(String name) {
        String t = name == null ? "" : name.strip();
        int count = t.codePointCount(0, t.length());
        if (count == 0 || count > MAX_VERSION_NAME_CODE_POINTS) {
            throw new ProtocolException(ErrorCode.BAD_MESSAGE, "name must be 1.." + MAX_VERSION_NAME_CODE_POINTS + " characters, was " + quote(name));
        }
        int bad = t.codePoints().filter(Wire::unsafe).findFirst().orElse(-1);
        if (bad >= 0) {
            throw new ProtocolException(ErrorCode.BAD_MESSAGE, String.format("name must not contain control, line-break, bidi or other "
                    + "invisible format characters, found U+%04X in %s", bad, quote(name)));
        }
        return t;
    }

    /** Checks a {@code #rrggbb} colour and returns it lower-cased. */
    public static String checkColor(String color) {
        if (color == null || !COLOR.matcher(color).matches()) {
            throw new ProtocolException(ErrorCode.BAD_MESSAGE, "user.color must be #rrggbb, was " + quote(color));
        }
        return color.toLowerCase(java.util.Locale.ROOT);
    }

    /** Checks a presence state ("active" or "idle"; null means active). */
    public static String checkState(String state) {
        if (state == null) return "active";
        if (!state.equals("active") && !state.equals("idle")) {
            throw new ProtocolException(ErrorCode.BAD_MESSAGE, "state must be \"active\" or \"idle\", was " + quote(state));
        }
        return state;
    }

    /**
     * {@code s} for a log line or an error message: in double quotes, cut to 40 code points, and
     * {@link #escape escaped}, so a user's string can neither forge a line nor disguise the text
     * around it. {@code null} gives {@code null}.
     */
    public static String quote(String s) {
        if (s == null) return "null";
        int cut = s.codePointCount(0, s.length()) > 40 ? s.offsetByCodePoints(0, 40) : -1;
        return "\"" + escape(cut < 0 ? s : s.substring(0, cut)) + (cut < 0 ? "" : "...") + "\"";
    }

    /**
     * {@code s} with {@code \} and {@code "} escaped, and every character {@link #checkName}
     * refuses written as {@code \}{@code uXXXX}; cut at 2000 characters.
     */
    public static String escape(String s) {
        return escape(s, true);
    }

    /**
     * Only the characters that could break or disguise a line escaped (as in {@link #escape}):
     * for a log line of text that already quotes the user's parts, such as an error message.
     */
    public static String printable(String s) {
        return escape(s, false);
    }

    private static String escape(String s, boolean quotes) {
        if (s == null) return "null";
        String in = s.length() > 2000 ? s.substring(0, 2000) + "..." : s;
        StringBuilder b = new StringBuilder(in.length() + 8);
        in.codePoints().forEach(cp -> {
            if (quotes && (cp == '\\' || cp == '"')) {
                b.append('\\').appendCodePoint(cp);
            } else if (unsafe(cp)) {
                for (char c : Character.toChars(cp)) b.append(String.format("\\u%04x", (int) c));
            } else {
                b.appendCodePoint(cp);
            }
        });
        return b.toString();
    }

    /** False if {@code s} holds a character {@link #checkName} refuses (control, line break, bidi, ...). */
    public static boolean isSafe(String s) {
        return s.codePoints().noneMatch(Wire::unsafe);
    }

    /** Control, line/paragraph separator, format (but ZWNJ/ZWJ), lone surrogate, or noncharacter. */
    private static boolean unsafe(int cp) {
        switch (Character.getType(cp)) {
            case Character.CONTROL, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR, Character.SURROGATE:
                return true;
            case Character.FORMAT:
                return cp != 0x200C && cp != 0x200D;
            default:
                return (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE;
        }
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
