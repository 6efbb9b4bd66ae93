package dev.tandem.crdt.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * An editing trace in the {@code editing-traces} format (sequential or concurrent, plain or
 * gzipped JSON), read into flat arrays so replaying it measures the CRDT, not the JSON.
 */
public final class Trace {
    public final String name;
    public final boolean concurrent;
    public final String startContent;
    public final String endContent;
    public final int numAgents;
    /** Per transaction: its agent (0 for sequential traces), its parents, its patches. */
    public final int[] txnAgent;
    public final int[][] txnParents;
    public final int[] txnFirstPatch;
    /** Per patch: position and deleted count in code points, inserted text. */
    public final int[] patchPos;
    public final int[] patchDel;
    public final String[] patchText;

    private Trace(String name, JsonNode root) {
        this.name = name;
        this.concurrent = "concurrent".equals(root.path("kind").asText(""));
        this.startContent = root.path("startContent").asText("");
        if (!root.has("endContent")) throw new IllegalArgumentException(name + ": no endContent");
        this.endContent = root.get("endContent").asText();
        this.numAgents = concurrent ? root.path("numAgents").asInt(1) : 1;
        JsonNode txns = root.get("txns");
        if (txns == null || !txns.isArray()) throw new IllegalArgumentException(name + ": no txns array");
        int n = txns.size();
        txnAgent = new int[n];
        txnParents = new int[n][];
        txnFirstPatch = new int[n + 1];
        int patches = 0;
        for (JsonNode t : txns) patches += t.get("patches").size();
        patchPos = new int[patches];
        patchDel = new int[patches];
        patchText = new String[patches];
        int p = 0;
        for (int i = 0; i < n; i++) {
            JsonNode t = txns.get(i);
            txnFirstPatch[i] = p;
            if (concurrent) {
                txnAgent[i] = t.get("agent").asInt();
                JsonNode parents = t.get("parents");
                txnParents[i] = new int[parents.size()];
                for (int k = 0; k < parents.size(); k++) {
                    int parent = parents.get(k).asInt();
                    if (parent < 0 || parent >= i) throw new IllegalArgumentException(name + ": txn " + i + " has parent " + parent);
                    txnParents[i][k] = parent;
                }
                if (txnAgent[i] < 0 || txnAgent[i] >= numAgents) throw new IllegalArgumentException(name + ": txn " + i + " agent " + txnAgent[i]);
            } else {
                txnParents[i] = i == 0 ? new int[0] : new int[] {i - 1};
            }
            for (JsonNode patch : t.get("patches")) {
                patchPos[p] = patch.get(0).asInt();
                patchDel[p] = patch.get(1).asInt();
                patchText[p] = patch.get(2).asText();
                p++;
            }
        }
        txnFirstPatch[n] = p;
    }

    public int txnCount() {
        return txnAgent.length;
    }

    public int patchCount() {
        return patchPos.length;
    }

    public static Trace read(Path path) throws IOException {
        try (InputStream in = open(Files.newInputStream(path), path.toString())) {
            return new Trace(path.getFileName().toString(), new ObjectMapper().readTree(in));
        }
    }

    public static Trace read(String name, InputStream raw) throws IOException {
        try (InputStream in = open(raw, name)) {
            return new Trace(name, new ObjectMapper().readTree(in));
        }
    }

    private static InputStream open(InputStream raw, String name) throws IOException {
        return name.endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
    }
}
