package dev.tandem.hub.store;

/**
 * Who a replica id of a room belongs to, bound when the id is first used there.
 *
 * @param owner {@code user:} and the token's user id, or {@code secret:} and the SHA-256 (hex)
 *     of the replica secret the client sent under {@code --auth none}; never the secret itself
 * @param userId the token's user id, or null under {@code --auth none}
 * @param name display name when bound (the token's, or the client's under {@code --auth none})
 */
public record ReplicaOwner(String owner, String userId, String name) {}
