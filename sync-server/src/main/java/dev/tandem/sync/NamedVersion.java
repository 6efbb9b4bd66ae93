package dev.tandem.sync;

import dev.tandem.crdt.Version;

import java.time.Instant;

/**
 * A point in a room's history someone gave a name ("Name this version..." in the editor), as the
 * hub stores and sends it to every member.
 *
 * @param name    what it was called (checked like a display name)
 * @param version the document as of that point, for {@code Doc.textAt}
 * @param by      the display name of who named it
 * @param at      when the hub recorded it
 */
public record NamedVersion(String name, Version version, String by, Instant at) {}
