package dev.tandem.sync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** The offline store's file: real files in a temporary folder. */
class LocalStoreTest {
    @TempDir Path dir;

    private List<String> namesIn(Path d) throws IOException {
        try (Stream<Path> files = Files.list(d)) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void save_replacesTheWholeFileAndLeavesNothingElse() throws Exception {
        Path file = dir.resolve("rooms").resolve("notes.tandem");
        LocalStore store = LocalStore.file(file);
        assertNull(store.load());
        store.save(new byte[] {1, 2, 3, 4, 5});
        store.save(new byte[] {9});
        assertArrayEquals(new byte[] {9}, store.load());
        assertEquals(List.of("notes.tandem"), namesIn(file.getParent()));
    }

    @Test
    void privateFilesAreTheOwnersOnly_sharedOnesKeepTheirPermissionsOrGetTheUsualOnes() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.getFileStore(dir).supportsFileAttributeView("posix"));
        java.util.function.Function<Path, String> perms = p -> {
            try {
                return java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        Path secret = dir.resolve("copy.tandem");
        LocalStore.writeAtomically(secret, new byte[] {1});
        assertEquals("rw-------", perms.apply(secret));
        Path export = dir.resolve("notes.md");
        LocalStore.writeShared(export, new byte[] {1});
        assertEquals("rw-r--r--", perms.apply(export));
        Files.setPosixFilePermissions(export, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw----"));
        LocalStore.writeShared(export, new byte[] {2});
        assertEquals("rw-rw----", perms.apply(export), "replacing a file keeps what its owner chose");
        assertArrayEquals(new byte[] {2}, Files.readAllBytes(export));
        assertEquals(List.of("copy.tandem", "notes.md"), namesIn(dir));
    }

    /**
     * Two writers of one file (two processes on one profile, or a save racing a close) must each
     * leave a whole snapshot: with one fixed temporary name they truncate and rename each other's
     * half-written file.
     */
    @Test
    void concurrentSaves_neverTearTheFileOrFail() throws Exception {
        Path file = dir.resolve("shared.tandem");
        byte[] a = new byte[64 * 1024];
        byte[] b = new byte[3 * 1024];
        Arrays.fill(a, (byte) 'a');
        Arrays.fill(b, (byte) 'b');
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> writers = new ArrayList<>();
            for (byte[] content : List.of(a, b)) {
                Callable<Void> writer = () -> {
                    LocalStore store = LocalStore.file(file);
                    for (int i = 0; i < 200; i++) {
                        store.save(content);
                        byte[] read = store.load();
                        assertTrue(Arrays.equals(read, a) || Arrays.equals(read, b), "a whole snapshot, " + read.length + " bytes");
                    }
                    return null;
                };
                writers.add(pool.submit(writer));
            }
            for (Future<?> w : writers) w.get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        assertEquals(List.of("shared.tandem"), namesIn(dir), "no temporary file left behind");
    }

    @Test
    void failedSave_leavesNoTemporaryFileAndKeepsTheOldCopy() throws Exception {
        Path file = dir.resolve("notes.tandem");
        // A directory where the file should be: the write succeeds, the rename over it fails.
        Files.createDirectories(file.resolve("in-the-way"));
        LocalStore store = LocalStore.file(file);
        assertThrows(IOException.class, () -> store.save(new byte[] {1, 2, 3}));
        assertEquals(List.of("notes.tandem"), namesIn(dir), "the temporary file is cleaned up");
        assertEquals(List.of("in-the-way"), namesIn(file), "what was there is untouched");
    }
}
