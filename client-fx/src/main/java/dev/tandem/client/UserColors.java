package dev.tandem.client;

import javafx.scene.paint.Color;

import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.regex.Pattern;

/**
 * The palette users' colours come from, and the {@code #rrggbb} form they travel in. Colours from
 * the network (another peer, through the hub) are not trusted: the UI reads every colour through
 * {@link #safe} or {@link #toColor}, which never throw and never let anything but {@code #rrggbb}
 * into an inline style.
 */
final class UserColors {
    /** Distinct, readable on white, and still distinct for the common colour-vision deficiencies. */
    static final List<String> PALETTE = List.of(
            "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
            "#17becf", "#e377c2", "#8c564b", "#bcbd22", "#0b6e4f");

    /** Shown for a colour that is not {@code #rrggbb}: a neutral grey nobody picks from the palette. */
    static final String FALLBACK = "#6b7280";

    private static final Pattern HEX = Pattern.compile("#[0-9a-fA-F]{6}");

    private UserColors() {}

    static String pick(Random random) {
        return PALETTE.get(random.nextInt(PALETTE.size()));
    }

    static boolean isValid(String color) {
        return color != null && HEX.matcher(color).matches();
    }

    /** Lower-case {@code #rrggbb}; rejects anything else with a message naming the value. */
    static String normalize(String color) {
        if (!isValid(color)) throw new IllegalArgumentException("colour must look like #1f77b4, was: " + color);
        return color.toLowerCase(Locale.ROOT);
    }

    /** Lower-case {@code #rrggbb} for any input: the colour itself when valid, else {@link #FALLBACK}. Safe in CSS. */
    static String safe(String color) {
        return isValid(color) ? color.toLowerCase(Locale.ROOT) : FALLBACK;
    }

    /** The colour to paint with for any input (see {@link #safe}); never throws, unlike {@code Color.web}. */
    static Color toColor(String color) {
        return Color.web(safe(color));
    }
}
