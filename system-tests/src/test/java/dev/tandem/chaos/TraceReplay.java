package dev.tandem.chaos;

import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Update;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;

/**
 * Replays a {@code client-N.trace} written by a failed chaos run against the crdt module alone,
 * to turn a chaos failure into a reproduction: {@code java -cp <test classpath>
 * dev.tandem.chaos.TraceReplay client-3.trace}. Prints the step that fails.
 */
public final class TraceReplay {
    private TraceReplay() {}

    public static void main(String[] args) throws Exception {
        List<String> lines = Files.readAllLines(Path.of(args[0]));
        Doc doc = null;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            String[] f = line.split(" ", 3);
            try {
                switch (f[0]) {
                    case "init" -> {
                        long replica = Long.parseUnsignedLong(f[1], 16);
                        doc = f[2].equals("-") ? new Doc(replica) : Doc.decode(Base64.getDecoder().decode(f[2]), replica);
                    }
                    case "apply" -> doc.apply(Update.decode(Base64.getDecoder().decode(f[1])));
                    case "insert" -> doc.insert(Integer.parseInt(f[1]), f[2]);
                    case "delete" -> doc.delete(Integer.parseInt(f[1]), Integer.parseInt(f[2]));
                    default -> throw new IllegalArgumentException("unknown step " + line);
                }
            } catch (RuntimeException e) {
                System.out.println("step " + (i + 1) + " of " + lines.size() + " failed: " + line.substring(0, Math.min(line.length(), 120)));
                e.printStackTrace(System.out);
                System.exit(1);
            }
        }
        System.out.println("replayed " + lines.size() + " steps without error; length " + doc.length());
    }
}
