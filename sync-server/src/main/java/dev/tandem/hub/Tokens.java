package dev.tandem.hub;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.ImmutableSecret;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;

import dev.tandem.protocol.ProtocolException;
import dev.tandem.protocol.RoomNames;
import dev.tandem.protocol.Wire;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Set;

/**
 * Signed access tokens (JWT, docs/hub.md "Security"): verifies them for the hub and issues them
 * for the {@code token} command. One algorithm is pinned per hub: HS256 with the hub's own key
 * ({@value #KEY_FILE} in its data directory, 256 random bits, created on first start, mode 0600),
 * or ES256/RS256 with an operator-given public key. Nimbus compares MACs in constant time and
 * checks {@code exp} and {@code nbf} (60 s of clock skew allowed); {@code aud} must be exactly
 * {@value #AUDIENCE}. Thread-safe.
 */
public final class Tokens {
    static final String KEY_FILE = "token-hmac.key";
    static final String AUDIENCE = "tandem-hub";
    /** A token longer than this is refused before it is parsed. */
    static final int MAX_TOKEN_CHARS = 8192;

    private final DefaultJWTProcessor<SecurityContext> processor;
    /** The HMAC key when this hub issues its own tokens, else null. */
    private final byte[] hmacKey;

    private Tokens(DefaultJWTProcessor<SecurityContext> processor, byte[] hmacKey) {
        this.processor = processor;
        this.hmacKey = hmacKey;
    }

    /** Verifies tokens signed with the hub's own key in {@code dataDir}, creating the key if there is none. */
    static Tokens ownKey(Path dataDir) throws IOException {
        byte[] key = loadOrCreateKey(dataDir);
        return new Tokens(processor(new JWSVerificationKeySelector<>(JWSAlgorithm.HS256, new ImmutableSecret<>(key))), key);
    }

    /** Verifies tokens signed by an outside service whose public key (PEM, EC P-256 or RSA) is in {@code pemFile}. */
    static Tokens publicKey(Path pemFile) throws IOException {
        String pem = Files.readString(pemFile, StandardCharsets.US_ASCII);
        String body = pem.replaceAll("-----(BEGIN|END) PUBLIC KEY-----", "").replaceAll("\\s", "");
        if (!pem.contains("-----BEGIN PUBLIC KEY-----") || body.isEmpty()) {
            throw new IOException(pemFile + " is not a PEM public key (-----BEGIN PUBLIC KEY-----)");
        }
        byte[] der;
        try {
            der = Base64.getDecoder().decode(body);
        } catch (IllegalArgumentException e) {
            throw new IOException(pemFile + " is not a PEM public key: " + e.getMessage(), e);
        }
        PublicKey key = null;
        for (String kind : new String[] {"EC", "RSA"}) {
            try {
                key = KeyFactory.getInstance(kind).generatePublic(new X509EncodedKeySpec(der));
                break;
            } catch (java.security.GeneralSecurityException e) {
                // try the other kind
            }
        }
        if (key instanceof ECPublicKey ec) {
            if (ec.getParams().getCurve().getField().getFieldSize() != 256) throw new IOException(pemFile + ": an EC key must be on P-256 (ES256)");
            JWKSet set = new JWKSet(new ECKey.Builder(Curve.P_256, ec).build());
            return new Tokens(processor(new JWSVerificationKeySelector<>(JWSAlgorithm.ES256, new ImmutableJWKSet<>(set))), null);
        }
        if (key instanceof RSAPublicKey rsa) {
            if (rsa.getModulus().bitLength() < 2048) throw new IOException(pemFile + ": an RSA key must have at least 2048 bits");
            JWKSet set = new JWKSet(new RSAKey.Builder(rsa).build());
            return new Tokens(processor(new JWSVerificationKeySelector<>(JWSAlgorithm.RS256, new ImmutableJWKSet<>(set))), null);
        }
        throw new IOException(pemFile + " holds neither an EC (P-256) nor an RSA public key");
    }

    private static DefaultJWTProcessor<SecurityContext> processor(JWSVerificationKeySelector<SecurityContext> keys) {
        DefaultJWTProcessor<SecurityContext> p = new DefaultJWTProcessor<>();
        // Only "typ": "JWT" (or none): a token of another kind signed with the same key is not a Tandem token.
        p.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT, null));
        p.setJWSKeySelector(keys);
        p.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(AUDIENCE, null, Set.of("sub", "room", "role", "exp")));
        return p;
    }

    /**
     * The grant a token gives for {@code room}.
     *
     * @throws ProtocolException {@code unauthorized} if the token is missing, malformed, badly
     *     signed, expired, not yet valid, for another audience, or for another room
     */
    Grant verify(String token, String room) {
        if (token == null || token.isEmpty()) throw unauthorized("this hub needs a token (hello.token or Authorization: Bearer)");
        if (token.length() > MAX_TOKEN_CHARS) throw unauthorized("the token is longer than " + MAX_TOKEN_CHARS + " characters");
        JWTClaimsSet claims;
        try {
            claims = processor.process(token, null);
        } catch (ParseException e) {
            throw unauthorized("the token is not a signed JWT");
        } catch (BadJOSEException | JOSEException e) {
            // Nimbus's messages name the failed check ("Expired JWT", "Signed JWT rejected:
            // Invalid signature") and never the token's content.
            throw unauthorized("the token was refused: " + e.getMessage());
        }
        Grant g;
        try {
            g = grant(claims);
        } catch (IllegalArgumentException | ParseException | ProtocolException e) {
            throw unauthorized("the token's claims are invalid: " + e.getMessage());
        }
        if (room != null && !g.covers(room)) throw unauthorized("the token is for room " + Wire.quote(g.rooms()) + ", not " + Wire.quote(room));
        return g;
    }

    private static Grant grant(JWTClaimsSet c) throws ParseException {
        String sub = c.getStringClaim("sub");
        String rooms = c.getStringClaim("room");
        Grant.Role role = Grant.Role.fromWire(c.getStringClaim("role"));
        if (role == null) throw new IllegalArgumentException("role must be viewer, editor or admin");
        checkUserId(sub);
        checkRooms(rooms);
        String name = c.getStringClaim("name");
        name = name == null ? Wire.checkName(sub) : Wire.checkName(name);
        return new Grant(sub, name, rooms, role, c.getExpirationTime().toInstant());
    }

    /** A user id: 1..128 characters, none of them one a name may not contain. */
    static String checkUserId(String id) {
        if (id == null || id.isEmpty() || id.length() > 128) throw new IllegalArgumentException("the user id must be 1..128 characters, was " + Wire.quote(id));
        if (!Wire.isSafe(id)) {
            throw new IllegalArgumentException("the user id must not contain control, line-break or bidi characters, was " + Wire.quote(id));
        }
        return id;
    }

    /** A room pattern: a room name, a prefix of one followed by {@code *}, or {@code *} alone. */
    static String checkRooms(String rooms) {
        if (rooms == null) throw new IllegalArgumentException("the room is missing");
        if (rooms.equals("*")) return rooms;
        // Any prefix of a valid name is itself valid once a letter is put after it.
        String probe = rooms.endsWith("*") ? rooms.substring(0, rooms.length() - 1) + "x" : rooms;
        if (RoomNames.problem(probe) != null) throw new IllegalArgumentException("room must be a room name or a prefix followed by *, was " + Wire.quote(rooms));
        return rooms;
    }

    /**
     * Issues a token signed with the own key of the hub whose data directory is {@code dataDir}
     * (creating the key if that hub never started): what the {@code token} command does, for
     * programs and tests.
     */
    public static String issue(Path dataDir, String userId, String name, String rooms, Grant.Role role, Duration ttl) throws IOException {
        return ownKey(dataDir).issue(userId, name, rooms, role, ttl, Instant.now());
    }

    /** Issues a token signed with this hub's own key. */
    String issue(String userId, String name, String rooms, Grant.Role role, Duration ttl, Instant now) {
        if (hmacKey == null) throw new IllegalStateException("this hub verifies tokens of an outside service; it issues none");
        checkUserId(userId);
        checkRooms(rooms);
        if (name != null) Wire.checkName(name);
        if (ttl.isNegative() || ttl.isZero()) throw new IllegalArgumentException("the time to live must be > 0, was " + ttl);
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .subject(userId).audience(AUDIENCE)
                .issueTime(Date.from(now)).notBeforeTime(Date.from(now)).expirationTime(Date.from(now.plus(ttl)))
                .claim("room", rooms).claim("role", role.wire());
        if (name != null) claims.claim("name", name.strip());
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT).build(), claims.build());
        try {
            jwt.sign(new MACSigner(hmacKey));
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign: " + e.getMessage(), e);
        }
        return jwt.serialize();
    }

    private static ProtocolException unauthorized(String why) {
        return new ProtocolException(dev.tandem.protocol.ErrorCode.UNAUTHORIZED, why);
    }

    /**
     * Reads {@code dir/token-hmac.key}, or creates it: 32 random bytes, written to a temporary
     * file that is owner-only from its creation, then moved into place (another process creating
     * it at the same moment wins, and its key is read). A key others may read is refused: anyone
     * who has it can give themselves any role in any room.
     */
    static byte[] loadOrCreateKey(Path dir) throws IOException {
        Path file = dir.resolve(KEY_FILE);
        Files.createDirectories(dir);
        boolean posix = Files.getFileStore(dir).supportsFileAttributeView("posix");
        if (!Files.exists(file)) {
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            Path tmp = posix
                    ? Files.createTempFile(dir, ".token-key", ".tmp", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                    : Files.createTempFile(dir, ".token-key", ".tmp");
            try {
                Files.writeString(tmp, Base64.getEncoder().encodeToString(key) + "\n", StandardCharsets.US_ASCII);
                try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
                try {
                    // No REPLACE_EXISTING: never overwrite a key some tokens were already signed with.
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
                } catch (FileAlreadyExistsException e) {
                    // created meanwhile; read it below
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
        if (posix) {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            perms.removeAll(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
            if (!perms.isEmpty()) {
                throw new IOException(file + " can be read or changed by other users (" + PosixFilePermissions.toString(Files.getPosixFilePermissions(file))
                        + "); run chmod 600 on it, and consider it leaked: move it away to revoke every token signed with it");
            }
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(Files.readString(file, StandardCharsets.US_ASCII).strip());
        } catch (IllegalArgumentException e) {
            throw new IOException(file + " is not a base64 key: " + e.getMessage(), e);
        }
        if (key.length < 32) throw new IOException(file + " holds " + key.length + " bytes; an HS256 key needs at least 32");
        return key;
    }
}
