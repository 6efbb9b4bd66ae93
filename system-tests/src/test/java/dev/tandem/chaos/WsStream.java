package dev.tandem.chaos;

/**
 * Follows one direction of a WebSocket connection byte by byte (the HTTP upgrade, then RFC 6455
 * frames) so the proxy knows where message boundaries are: it can then cut a connection strictly
 * inside a message, or inside the handshake, and say afterwards where a cut landed.
 *
 * <p>Threads: owned by the one pump thread that forwards this direction.
 */
final class WsStream {
    private enum State { HTTP, HEADER, PAYLOAD }

    private State state = State.HTTP;
    private int crlf; // how much of "\r\n\r\n" was just seen
    private final byte[] header = new byte[14];
    private int headerHave;
    private int headerNeed;
    private long payloadLeft;
    private int opcode;
    /** Bytes seen so far in this direction. */
    long bytes;
    /** Data frames (text, binary, continuation) completed so far. */
    int dataFrames;
    /** Value of {@link #bytes} when the HTTP upgrade message ended (-1 before). */
    long httpEnd = -1;

    /** Consumes one byte. */
    void accept(byte b) {
        bytes++;
        switch (state) {
            case HTTP -> {
                int want = (crlf % 2 == 0) ? '\r' : '\n';
                if (b == want) crlf++;
                else crlf = b == '\r' ? 1 : 0;
                if (crlf == 4) {
                    state = State.HEADER;
                    headerHave = 0;
                    httpEnd = bytes;
                }
            }
            case HEADER -> {
                header[headerHave++] = b;
                if (headerHave == 1) opcode = b & 0x0f;
                if (headerHave == 2) {
                    int len7 = b & 0x7f;
                    boolean masked = (b & 0x80) != 0;
                    headerNeed = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (masked ? 4 : 0);
                }
                if (headerHave >= 2 && headerHave == headerNeed) {
                    int len7 = header[1] & 0x7f;
                    long len;
                    if (len7 == 126) len = ((header[2] & 0xffL) << 8) | (header[3] & 0xffL);
                    else if (len7 == 127) {
                        len = 0;
                        for (int i = 2; i < 10; i++) len = (len << 8) | (header[i] & 0xffL);
                    } else len = len7;
                    payloadLeft = len;
                    if (len == 0) frameDone();
                    else state = State.PAYLOAD;
                }
            }
            case PAYLOAD -> {
                if (--payloadLeft == 0) frameDone();
            }
        }
    }

    private void frameDone() {
        if (opcode <= 2) dataFrames++;
        state = State.HEADER;
        headerHave = 0;
    }

    boolean inHttp() {
        return state == State.HTTP;
    }

    /** True between the first and the last byte of a data frame (a cut here tears a message). */
    boolean insideDataFrame() {
        boolean inside = (state == State.HEADER && headerHave > 0) || state == State.PAYLOAD;
        return inside && opcode <= 2;
    }

    /** Where the stream stands, for the fault log: "http", "inside frame N" or "after frame N". */
    String where() {
        if (state == State.HTTP) return "http";
        boolean inside = (state == State.HEADER && headerHave > 0) || state == State.PAYLOAD;
        return inside ? "inside data frame " + dataFrames : "after data frame " + (dataFrames - 1);
    }
}
