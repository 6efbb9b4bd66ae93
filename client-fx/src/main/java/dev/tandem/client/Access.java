package dev.tandem.client;

import dev.tandem.sync.Invite;
import dev.tandem.sync.TlsTrust;

import java.text.ParseException;

/**
 * How this client gets into a room: the token (null for a hub running {@code --auth none}) and
 * the pinned certificate fingerprint of a self-signed {@code wss://} hub (null: the system's CAs).
 * Both come from an invite or from the hub this process hosts.
 */
record Access(String token, String sha256) {
    static final Access NONE = new Access(null, null);

    static Access of(Invite invite) {
        return new Access(invite.token(), invite.sha256());
    }

    /** The certificates to accept, or null for the sync client's default (the system's CAs). */
    TlsTrust trust() {
        return sha256 == null ? null : TlsTrust.withFingerprint(sha256);
    }

    /**
     * True when the token's {@code role} claim is {@code viewer}. Read without checking the
     * signature, for the user interface only: the hub checks it and refuses a viewer's edits
     * whatever this says. A token that cannot be read is not a viewer's (the hub will refuse it).
     */
    boolean viewOnly() {
        if (token == null) return false;
        try {
            Object role = com.nimbusds.jwt.JWTParser.parse(token).getJWTClaimsSet().getClaim("role");
            return "viewer".equals(role);
        } catch (ParseException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        // Never the token itself: this may end up in a log.
        return "Access[token=" + (token == null ? "none" : "…") + ", sha256=" + sha256 + "]";
    }
}
