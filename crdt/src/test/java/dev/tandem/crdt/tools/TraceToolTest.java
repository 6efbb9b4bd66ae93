package dev.tandem.crdt.tools;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The trace command on small hand-written traces in a temporary folder. */
class TraceToolTest {
    private static final String SEQUENTIAL = "{\"startContent\":\"\",\"endContent\":\"%s\",\"txns\":["
            + "{\"time\":\"t\",\"patches\":[[0,0,\"hello\"]]},"
            + "{\"time\":\"t\",\"patches\":[[5,0,\" world\"],[0,1,\"H\"]]}]}";
    private static final String CONCURRENT = "{\"kind\":\"concurrent\",\"endContent\":\"ab\",\"numAgents\":2,\"txns\":["
            + "{\"parents\":[],\"agent\":0,\"patches\":[[0,0,\"a\"]]},"
            + "{\"parents\":[],\"agent\":1,\"patches\":[[0,0,\"b\"]]}]}";

    private static String run(Path trace, int[] code) throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            code[0] = TraceTool.run(new String[] {"replay", trace.toString(), "--runs", "1", "--warmup", "0"});
        } finally {
            System.setOut(old);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void matchingTraceExitsZeroWithJsonLastLine(@TempDir Path dir) throws Exception {
        Path trace = Files.writeString(dir.resolve("t.json"), String.format(SEQUENTIAL, "Hello world"));
        int[] code = new int[1];
        String out = run(trace, code);
        assertEquals(0, code[0], out);
        String[] lines = out.strip().split("\n");
        String last = lines[lines.length - 1];
        assertTrue(last.startsWith("{\"ok\": true, \"local_ms\": "), last);
        for (String key : new String[] {"encode_ms", "bytes", "decode_ms", "merge_ms", "heap_mb", "textat_ms"}) assertTrue(last.contains("\"" + key + "\": "), last);
    }

    @Test
    void mismatchExitsOneAndSaysWhere(@TempDir Path dir) throws Exception {
        Path trace = Files.writeString(dir.resolve("t.json"), String.format(SEQUENTIAL, "Hello there"));
        int[] code = new int[1];
        String out = run(trace, code);
        assertEquals(1, code[0], out);
        assertTrue(out.contains("MISMATCH") && out.contains("first difference at 6"), out);
        assertTrue(out.strip().endsWith("}") && out.contains("{\"ok\": false"), out);
    }

    @Test
    void concurrentTraceWithOneReplicaPerAgent(@TempDir Path dir) throws Exception {
        Path trace = Files.writeString(dir.resolve("c.json"), CONCURRENT);
        int[] code = new int[1];
        String out = run(trace, code);
        // Agents 1 and 2 typed concurrently at 0: the lower replica id (agent 0's) goes first.
        assertEquals(0, code[0], out);
    }

    @Test
    void missingFileIsAUsageError(@TempDir Path dir) throws Exception {
        int[] code = new int[1];
        run(dir.resolve("nope.json"), code);
        assertEquals(2, code[0]);
    }
}
