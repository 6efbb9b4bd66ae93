package dev.tandem.chaos;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The proxy's WebSocket tracker must find message boundaries, or "cut mid-message" would be a guess. */
class WsStreamTest {

    @Test
    void followsTheUpgradeThenFramesOfEverySize() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] http = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        out.writeBytes(http);
        out.writeBytes(frame(0x81, 5, false));      // text, 7-bit length
        out.writeBytes(frame(0x82, 300, true));     // binary, 16-bit length, masked (client to hub)
        out.writeBytes(frame(0x89, 0, false));      // ping: a control frame, not a message
        out.writeBytes(frame(0x82, 70_000, false)); // binary, 64-bit length
        byte[] all = out.toByteArray();

        WsStream ws = new WsStream();
        int insideCount = 0;
        for (int i = 0; i < all.length; i++) {
            ws.accept(all[i]);
            if (i < http.length - 1) assertTrue(ws.inHttp());
            if (ws.insideDataFrame()) insideCount++;
        }
        assertEquals(http.length, ws.httpEnd);
        assertEquals(3, ws.dataFrames);
        assertFalse(ws.insideDataFrame());
        // Every byte of a data frame but its last one is "inside".
        assertEquals((2 + 5 - 1) + (2 + 2 + 4 + 300 - 1) + (2 + 8 + 70_000 - 1), insideCount);
    }

    private static byte[] frame(int first, int length, boolean masked) {
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.write(first);
        int mask = masked ? 0x80 : 0;
        if (length < 126) f.write(mask | length);
        else if (length < 65536) {
            f.write(mask | 126);
            f.write(length >> 8);
            f.write(length & 0xff);
        } else {
            f.write(mask | 127);
            for (int i = 7; i >= 0; i--) f.write((int) (((long) length >> (8 * i)) & 0xff));
        }
        if (masked) f.writeBytes(new byte[] {1, 2, 3, 4});
        f.writeBytes(new byte[length]);
        return f.toByteArray();
    }
}
