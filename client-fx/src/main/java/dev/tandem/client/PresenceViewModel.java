package dev.tandem.client;

import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The presence sidebar: everyone in the room, you first, then by name. Names and colours come from
 * the network and are cleaned here ({@link DisplayNames}, {@link UserColors#safe}), so a row never
 * holds one that could break the list. Plain Java; FX thread only.
 */
final class PresenceViewModel {
    /**
     * One person in the room as the sidebar shows them. {@code viewer}: they may only read (the
     * hub marks viewers in presence; your own row from your invite).
     */
    record Row(String id, String name, String color, boolean self, boolean active, boolean typing, boolean viewer) {
        Row(String id, String name, String color, boolean self, boolean active, boolean typing) {
            this(id, name, color, self, active, typing, false);
        }

        String label() {
            String who = self ? name + " (you" + (viewer ? ", view only)" : ")") : viewer ? name + " (view only)" : name;
            return who;
        }

        String activity() {
            if (typing) return "typing…";
            return active ? "active" : "idle";
        }
    }

    private static final Comparator<Row> ORDER = Comparator.comparing(Row::self).reversed()
            .thenComparing(Row::name, String.CASE_INSENSITIVE_ORDER)
            .thenComparing(Row::id);

    private final ObservableList<Row> rows = FXCollections.observableArrayList();
    private final ObservableList<Row> readOnlyRows = FXCollections.unmodifiableObservableList(rows);

    ObservableList<Row> rows() {
        return readOnlyRows;
    }

    /** Replaces the list; rows that did not change keep their identity so the list view does not flicker. */
    void update(List<Row> people) {
        List<Row> sorted = new ArrayList<>(people.size());
        for (Row r : people) {
            sorted.add(new Row(r.id(), DisplayNames.clean(r.name()), UserColors.safe(r.color()), r.self(), r.active(), r.typing(), r.viewer()));
        }
        sorted.sort(ORDER);
        if (!sorted.equals(rows)) rows.setAll(sorted);
    }

    /** Shown in the sidebar's header. */
    String summary() {
        int n = rows.size();
        return n == 1 ? "1 person here" : n + " people here";
    }
}
