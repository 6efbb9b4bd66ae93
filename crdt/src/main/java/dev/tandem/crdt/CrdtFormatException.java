package dev.tandem.crdt;

/**
 * Thrown when bytes are not a valid encoded document, update or version (truncated, corrupted,
 * wrong format version, absurd lengths, references to unknown ids), or when an update breaks a
 * rule no honest replica breaks (splitting a surrogate pair, reusing an id with other content).
 * The document it was applied to is left unchanged.
 */
public final class CrdtFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CrdtFormatException(String message) {
        super(message);
    }

    public CrdtFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
