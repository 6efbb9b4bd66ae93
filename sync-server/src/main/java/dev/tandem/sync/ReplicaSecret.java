package dev.tandem.sync;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The secret a client sends in hello so that a hub running {@code --auth none} can tell the owner
 * of a replica from someone who only learned its id (docs/protocol.md, "Replica ownership").
 * 256 random bits, base64url; kept beside the replica's offline copy, readable by its owner only.
 */
public final class ReplicaSecret {
    private ReplicaSecret() {}

    private static final SecureRandom RANDOM = new SecureRandom();

    /** A fresh secret. */
    public static String generate() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** Reads the secret in {@code file}, or creates the file with a fresh one (crash-safe, owner-only). */
    public static String loadOrCreate(Path file) throws IOException {
        if (Files.exists(file)) {
            String s = Files.readString(file, StandardCharsets.US_ASCII).strip();
            try {
                return check(s);
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": " + e.getMessage(), e);
            }
        }
        String s = generate();
        LocalStore.writeAtomically(file, (s + "\n").getBytes(StandardCharsets.US_ASCII));
        return s;
    }

    /** Returns {@code s} if it can be a secret: 16..128 characters of base64url. */
    static String check(String s) {
        if (s == null || s.length() < 16 || s.length() > 128 || !s.matches("[A-Za-z0-9_-]+")) {
            throw new IllegalArgumentException("a replica secret is 16..128 characters of A-Z a-z 0-9 _ -");
        }
        return s;
    }
}
