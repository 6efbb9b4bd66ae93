package dev.tandem.crdt;

/** Constants and helpers of the binary format described in {@code crdt/FORMAT.md}. */
final class Codec {
    private Codec() {}

    static final int FORMAT_VERSION = 1;
    static final byte VERSION_MAGIC = 'V';
}
