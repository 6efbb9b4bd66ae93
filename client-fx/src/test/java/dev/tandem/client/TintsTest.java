package dev.tandem.client;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** The authors' tints in plain Java: classes from colours, the generated stylesheet, moving with edits, what differs. */
class TintsTest {
    private static Tints of(int... startEndClass) {
        Tints.Builder b = new Tints.Builder();
        for (int i = 0; i < startEndClass.length; i += 3) b.add(startEndClass[i], startEndClass[i + 1], "tint-00000" + startEndClass[i + 2]);
        return b.build();
    }

    @Test
    void onlySixHexDigitsEverReachTheStylesheet() {
        assertEquals("tint-1f77b4", Tints.classFor("#1F77B4"));
        assertEquals(Tints.classFor(UserColors.FALLBACK), Tints.classFor("red; } .x { -fx-font-size: 99"), "not a colour: the fallback grey");
        String url = Tints.stylesheet(Set.of("tint-1f77b4", "tint-zz; }", "bold"));
        assertTrue(url.startsWith("data:text/css;base64,"));
        String css = new String(Base64.getDecoder().decode(url.substring(url.indexOf(',') + 1)), StandardCharsets.UTF_8);
        assertEquals(".text.tint-1f77b4 { -rtfx-background-color: rgba(31,119,180,0.28); }\n", css, "one rule, for the valid class only");
    }

    @Test
    void tintsMoveWithEditsAndNewTextIsUntintedUntilComputedAgain() {
        Tints t = of(0, 5, 1, 5, 10, 2);
        Tints typed = t.shifted(2, 0, 3); // three characters typed inside the first range
        assertArrayEquals(new int[] {0, 5, 8}, typed.starts);
        assertArrayEquals(new int[] {2, 8, 13}, typed.ends);
        Tints deleted = t.shifted(3, 4, 0); // a deletion across both ranges
        assertArrayEquals(new int[] {0, 3}, deleted.starts);
        assertArrayEquals(new int[] {3, 6}, deleted.ends);
        assertEquals(List.of("tint-000001", "tint-000002"), List.of(deleted.classes));
    }

    @Test
    void differingIsTheRangeWhereTheClassesDiffer() {
        Tints a = of(0, 5, 1, 5, 10, 2);
        assertNull(Tints.differing(a, of(0, 5, 1, 5, 10, 2)));
        assertArrayEquals(new int[] {0, 10}, Tints.differing(Tints.NONE, a));
        assertArrayEquals(new int[] {2, 5}, Tints.differing(a.shifted(2, 0, 3), of(0, 5, 1, 5, 8, 1, 8, 13, 2)));
        assertArrayEquals(new int[] {7, 9}, Tints.differing(a, of(0, 5, 1, 5, 7, 2, 7, 9, 1, 9, 10, 2)));
    }
}
