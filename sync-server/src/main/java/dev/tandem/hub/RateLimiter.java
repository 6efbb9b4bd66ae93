package dev.tandem.hub;

/**
 * Two token buckets (messages and bytes) for one connection. Only touched by the connection's
 * reader (Jetty delivers one frame at a time per connection), so not synchronized.
 */
final class RateLimiter {
    private final double messagesPerNano;
    private final double messageBurst;
    private final double bytesPerNano;
    private final double byteBurst;
    private double messages;
    private double bytes;
    private long last;

    RateLimiter(double messagesPerSecond, int messageBurst, long bytesPerSecond, long byteBurst, long now) {
        this.messagesPerNano = messagesPerSecond / 1e9;
        this.messageBurst = messageBurst;
        this.bytesPerNano = bytesPerSecond / 1e9;
        this.byteBurst = byteBurst;
        this.messages = messageBurst;
        this.bytes = byteBurst;
        this.last = now;
    }

    /** Takes one message of {@code size} bytes; false when the connection is over its rate. */
    boolean tryAcquire(int size, long now) {
        long elapsed = Math.max(0, now - last);
        last = now;
        messages = Math.min(messageBurst, messages + elapsed * messagesPerNano);
        bytes = Math.min(byteBurst, bytes + elapsed * bytesPerNano);
        if (messages < 1 || bytes < size) return false;
        messages -= 1;
        bytes -= size;
        return true;
    }
}
