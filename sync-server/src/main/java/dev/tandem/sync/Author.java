package dev.tandem.sync;

/**
 * The owner of a replica id, as the hub recorded it: every operation carrying {@code replica} was
 * made by this user.
 *
 * @param replica the replica id
 * @param userId the user's stable id from their token, or null on a hub running --auth none
 * @param name display name (checked like every name a hub sends)
 */
public record Author(long replica, String userId, String name) {}
