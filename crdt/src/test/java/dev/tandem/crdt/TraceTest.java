package dev.tandem.crdt;

import dev.tandem.crdt.tools.Replay;
import dev.tandem.crdt.tools.Trace;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** The real editing traces in test resources (see traces/README.md for their origin). */
class TraceTest {
    static Trace load(String name) throws IOException {
        try (InputStream in = TraceTest.class.getResourceAsStream("/traces/" + name)) {
            assertNotNull(in, "missing test resource traces/" + name);
            return Trace.read(name, in);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"automerge-paper.json.gz", "seph-blog1.json.gz", "sveltecomponent.json.gz"})
    void sequentialTraceEndsAtEndContent(String name) throws IOException {
        Trace t = load(name);
        Doc doc = Replay.sequential(t);
        assertEquals(t.endContent, doc.text());
        doc.checkInvariants();

        Doc decoded = Doc.decode(doc.encode());
        assertEquals(t.endContent, decoded.text());
        assertEquals(doc.version(), decoded.version());
        decoded.checkInvariants();
        // The deleted text (and every time) survives the save: the reloaded copy sends the same.
        assertArrayEquals(doc.updatesSince(Version.EMPTY).encode(), decoded.updatesSince(Version.EMPTY).encode());

        Doc merged = new Doc();
        merged.apply(Update.decode(doc.updatesSince(Version.EMPTY).encode()));
        assertEquals(t.endContent, merged.text());
        assertFalse(merged.hasPending());
    }

    @Test
    void concurrentTraceConvergesOnEveryReplica() throws IOException {
        Trace t = load("friendsforever.json.gz");
        Doc[] docs = Replay.concurrent(t);
        for (int i = 0; i < docs.length; i++) {
            assertEquals(t.endContent, docs[i].text(), "replica " + i);
            assertEquals(docs[0].version(), docs[i].version(), "version of replica " + i);
            docs[i].checkInvariants();
        }
        Doc decoded = Doc.decode(docs[0].encode());
        assertEquals(t.endContent, decoded.text());
        decoded.checkInvariants();
    }
}
