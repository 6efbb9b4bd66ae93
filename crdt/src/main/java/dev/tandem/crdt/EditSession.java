package dev.tandem.crdt;

import java.time.Instant;

/**
 * A stretch of editing by one replica, for a history view: its edits with no pause longer than
 * the gap asked for (see {@link Doc#sessions}). Times are those the edits were stamped with (to
 * within a minute, see {@code crdt/FORMAT.md}); {@link Instant#EPOCH} when not known (edits
 * read from format v1).
 *
 * @param replica  whose edits
 * @param start    time of the first edit
 * @param end      time of the last edit
 * @param inserted characters inserted
 * @param deleted  characters deleted
 * @param version  the document as of the end of the session, for {@link Doc#textAt}: every
 *                 operation stamped no later than {@code end} (by the clocks of the replicas
 *                 that made them, each replica's in the order it made them), this session's
 *                 included
 */
public record EditSession(long replica, Instant start, Instant end, long inserted, long deleted, Version version) {}
