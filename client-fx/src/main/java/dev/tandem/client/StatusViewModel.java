package dev.tandem.client;

import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;

import java.text.NumberFormat;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * The status bar of a room window: connection, unsent changes, room, document length. Plain Java;
 * FX thread only. Time comes from an injected millisecond clock, so the retry countdown is
 * testable without sleeping; the view calls {@link #tick()} once a second.
 *
 * <p>Each item also has a short form ({@code ...ShortTextProperty}) that a narrow window shows
 * instead of cutting the long one to "...".
 */
final class StatusViewModel {
    enum Connection { CONNECTED, CONNECTING, OFFLINE }

    private final LongSupplier clockMillis;
    private final NumberFormat numbers = NumberFormat.getIntegerInstance(Locale.ROOT);

    private final ReadOnlyObjectWrapper<Connection> connection = new ReadOnlyObjectWrapper<>(Connection.CONNECTING);
    private final ReadOnlyStringWrapper connectionText = new ReadOnlyStringWrapper("Connecting…");
    private final ReadOnlyStringWrapper unsentText = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper roomText = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper lengthText = new ReadOnlyStringWrapper("0 characters");
    private final ReadOnlyStringWrapper errorText = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper connectionShortText = new ReadOnlyStringWrapper("Connecting…");
    private final ReadOnlyStringWrapper unsentShortText = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper lengthShortText = new ReadOnlyStringWrapper("0 chars");
    private final ReadOnlyStringWrapper wordsText = new ReadOnlyStringWrapper("0 words");
    private final ReadOnlyStringWrapper wordsShortText = new ReadOnlyStringWrapper("0 words");

    private long retryAtMillis = -1; // clock time of the next connection attempt; -1 = none planned
    private String hub; // host:port of the hub in use (or tried next) when the room has several; else null
    private long unsent;
    private String notice = ""; // stays until replaced: something the user must learn even once connected
    private String connectionError = "";
    private String saveError = ""; // shown before anything else while saving the local copy fails

    StatusViewModel(String room, LongSupplier clockMillis) {
        this.clockMillis = clockMillis;
        roomText.set("Room: " + room);
        numbers.setGroupingUsed(true);
    }

    /**
     * A new connection state. {@code nextRetryMillis} is the delay until the next attempt when
     * connecting after a failure (0 = attempting now); {@code lastError} may be null.
     */
    void setConnection(Connection state, long nextRetryMillis, String lastError) {
        connection.set(state);
        retryAtMillis = state == Connection.CONNECTING && nextRetryMillis > 0 ? clockMillis.getAsLong() + nextRetryMillis : -1;
        connectionError = state == Connection.CONNECTED || lastError == null ? "" : lastError;
        showErrors();
        refresh();
    }

    /**
     * The hub in use, or tried next, as {@code host:port}, for a room that knows several hubs
     * (null for one): the full connection text then names it.
     */
    void setHub(String hostPort) {
        hub = hostPort;
        refresh();
    }

    /** A lasting message (e.g. the offline copy was unreadable), shown whenever there is no connection error. */
    void setNotice(String text) {
        notice = text == null ? "" : text;
        showErrors();
    }

    /** Why the local copy cannot be saved (the client keeps retrying), or null once it can. */
    void setSaveError(String text) {
        saveError = text == null ? "" : text;
        showErrors();
        refresh();
    }

    private void showErrors() {
        String other = connectionError.isEmpty() ? notice : connectionError;
        errorText.set(saveError.isEmpty() ? other : other.isEmpty() ? saveError : saveError + " | " + other);
    }

    void setUnsent(long count) {
        unsent = count;
        refresh();
    }

    void setLength(int length) {
        lengthText.set(numbers.format(length) + (length == 1 ? " character" : " characters"));
        lengthShortText.set(numbers.format(length) + (length == 1 ? " char" : " chars"));
    }

    /**
     * The word count, and of the selection when there is one ({@code selectedChars} > 0):
     * "120 words", or "3 of 120 words, 17 characters selected".
     */
    void setWords(int words, int selectedWords, int selectedChars) {
        String all = numbers.format(words) + (words == 1 ? " word" : " words");
        wordsShortText.set(all);
        if (selectedChars == 0) wordsText.set(all);
        else wordsText.set(numbers.format(selectedWords) + " of " + all + ", " + numbers.format(selectedChars)
                + (selectedChars == 1 ? " character selected" : " characters selected"));
    }

    /** Number of words in {@code text}: runs of letters, digits, apostrophes and hyphens between other characters. */
    static int countWords(CharSequence text) {
        int words = 0;
        boolean inWord = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean part = Character.isLetterOrDigit(c) || Character.isSurrogate(c) || (inWord && (c == '\'' || c == '’' || c == '-'));
            if (part && !inWord) words++;
            inWord = part;
        }
        return words;
    }

    /** Updates the retry countdown; call about once a second. */
    void tick() {
        if (retryAtMillis >= 0) refresh();
    }

    private void refresh() {
        boolean connected = connection.get() == Connection.CONNECTED;
        switch (connection.get()) {
            case CONNECTED -> setBoth(connectionText, connectionShortText, hub == null ? "Connected" : "Connected to " + hub, "Connected");
            case OFFLINE -> setBoth(connectionText, connectionShortText, "Offline", "Offline");
            case CONNECTING -> {
                long secs = retryAtMillis < 0 ? 0 : Math.max(0, (retryAtMillis - clockMillis.getAsLong() + 999) / 1000);
                String to = hub == null ? "" : " to " + hub;
                if (secs == 0) setBoth(connectionText, connectionShortText, "Connecting" + to + "…", "Connecting…");
                else setBoth(connectionText, connectionShortText, "Connecting" + to + " (next retry in " + secs + " s)", "Retry in " + secs + " s");
            }
        }
        if (unsent == 0) {
            setBoth(unsentText, unsentShortText, connected ? "All changes sent" : "No unsent changes", connected ? "All sent" : "0 unsent");
        } else {
            String n = numbers.format(unsent);
            setBoth(unsentText, unsentShortText, n + (unsent == 1 ? " unsent change" : " unsent changes")
                    + (connected ? "" : saveError.isEmpty() ? " (saved on this computer)" : " (not saved yet)"), n + " unsent");
        }
    }

    private static void setBoth(ReadOnlyStringWrapper full, ReadOnlyStringWrapper brief, String fullText, String briefText) {
        full.set(fullText);
        brief.set(briefText);
    }

    ReadOnlyObjectProperty<Connection> connectionProperty() { return connection.getReadOnlyProperty(); }
    ReadOnlyStringProperty connectionTextProperty() { return connectionText.getReadOnlyProperty(); }
    ReadOnlyStringProperty unsentTextProperty() { return unsentText.getReadOnlyProperty(); }
    ReadOnlyStringProperty roomTextProperty() { return roomText.getReadOnlyProperty(); }
    ReadOnlyStringProperty lengthTextProperty() { return lengthText.getReadOnlyProperty(); }
    ReadOnlyStringProperty errorTextProperty() { return errorText.getReadOnlyProperty(); }
    ReadOnlyStringProperty connectionShortTextProperty() { return connectionShortText.getReadOnlyProperty(); }
    ReadOnlyStringProperty unsentShortTextProperty() { return unsentShortText.getReadOnlyProperty(); }
    ReadOnlyStringProperty lengthShortTextProperty() { return lengthShortText.getReadOnlyProperty(); }
    ReadOnlyStringProperty wordsTextProperty() { return wordsText.getReadOnlyProperty(); }
    ReadOnlyStringProperty wordsShortTextProperty() { return wordsShortText.getReadOnlyProperty(); }
}
