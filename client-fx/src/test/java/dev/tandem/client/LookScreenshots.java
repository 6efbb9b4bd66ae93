package dev.tandem.client;

import dev.tandem.crdt.Bias;
import dev.tandem.crdt.Doc;
import dev.tandem.crdt.Formats;
import javafx.application.Platform;
import javafx.scene.image.PixelReader;
import javafx.scene.image.WritableImage;
import javafx.stage.Stage;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.File;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Pictures of a room window as users see it, to look at after changing the look: formatted text,
 * two peers' cursors, a find highlight, in the light and the dark theme and zoomed. Headless
 * (Monocle), no network; written with {@code Scene.snapshot} as PNGs into the folder given
 * (default /tmp/tandem-look), not into the repository.
 *
 * <pre>java -cp TEST_CLASSPATH dev.tandem.client.LookScreenshots /tmp/tandem-look</pre>
 */
public final class LookScreenshots {
    private LookScreenshots() {}

    public static void main(String[] args) throws Exception {
        System.setProperty("glass.platform", "Monocle");
        System.setProperty("monocle.platform", "Headless");
        System.setProperty("prism.order", "sw");
        System.setProperty("headless.geometry", "1600x1000-32"); // room for a 1100 px window
        File out = new File(args.length > 0 ? args[0] : "/tmp/tandem-look");
        if (!out.isDirectory() && !out.mkdirs()) throw new IllegalStateException("cannot make " + out);
        CompletableFuture<Void> started = new CompletableFuture<>();
        Platform.startup(() -> started.complete(null));
        started.get(10, TimeUnit.SECONDS);
        fx(() -> Platform.setImplicitExit(false));
        RoomWindow w = fx(() -> staged(1100, 700));
        for (String theme : List.of("light", "dark")) {
            fx(() -> Look.get().configure(theme.equals("dark") ? Look.ThemeChoice.DARK : Look.ThemeChoice.LIGHT, 100, false, null));
            shoot(w, new File(out, "room-" + theme + ".png"));
            fx(() -> Look.get().setZoom(150));
            shoot(w, new File(out, "room-" + theme + "-150.png"));
            fx(() -> {
                w.stage.setWidth(640);
                return null;
            });
            shoot(w, new File(out, "room-" + theme + "-150-narrow.png"));
            fx(() -> {
                w.stage.setWidth(1100);
                Look.get().setZoom(300);
                return null;
            });
            shoot(w, new File(out, "room-" + theme + "-300.png"));
            fx(() -> {
                Look.get().setZoom(100);
                w.setHostBanner("Hosting on this computer at ws://192.168.1.20:7070/rooms/team-notes. Only people you invite can join.");
                w.setViewOnly(true);
                w.area.selectRange(0, 30);
                return null;
            });
            shoot(w, new File(out, "room-" + theme + "-banners.png"));
            fx(() -> {
                w.setHostBanner(null);
                w.setViewOnly(false);
                return null;
            });
        }
        fx(() -> Look.get().configure(Look.ThemeChoice.LIGHT, 100, false, null));
        fx(() -> {
            StartViewModel model = new StartViewModel(Settings.defaults("#1f77b4"));
            model.host.set(true); // the tallest form: who may join is asked too
            new StartScreen(new Stage(), model, r -> { }).stage.show();
            return null;
        });
        Thread.sleep(300);
        fx(() -> {
            for (javafx.stage.Window win : javafx.stage.Window.getWindows()) {
                if (win.getScene().lookup("#start-name") != null) write(win.getScene().snapshot(null), new File(out, "start-light.png"));
            }
            Look.get().configure(Look.ThemeChoice.DARK, 100, false, null);
            return null;
        });
        Thread.sleep(300);
        fx(() -> {
            for (javafx.stage.Window win : javafx.stage.Window.getWindows()) {
                if (win.getScene().lookup("#start-name") != null) write(win.getScene().snapshot(null), new File(out, "start-dark.png"));
            }
            return null;
        });
        System.out.println("wrote " + out);
        Platform.exit();
        System.exit(0);
    }

    /** A room window with formatted text, two peers and a find highlight. */
    static RoomWindow staged(double width, double height) {
        Doc doc = new Doc();
        RoomAddress address = new RoomAddress(URI.create("ws://127.0.0.1:7070"), "team-notes");
        RoomWindow w = new RoomWindow(new Stage(), address, doc, u -> { }, new UiTesting.NoActions());
        w.cursors.setLabelDuration(javafx.util.Duration.hours(1));
        String text = "Launch plan\nGoals for Friday\nship the desktop client\nwrite the user guide\n"
                + "Risks: the hub must survive a restart, and every client must come back with nothing lost. "
                + "This paragraph is long on purpose, so that it wraps and shows how wide the text column gets when the window is wide.\n"
                + "Steps\ncheck the offline copy\nrun the chaos test overnight\nint port = hub.port(); // code block\n"
                + "A last line with strike and underline.\n";
        w.area.replaceText(text);
        EditorBinding b = w.binding;
        b.setParagraph(0, Formats.BLOCK, "h1");
        b.setParagraph(text.indexOf("Goals"), Formats.BLOCK, "h2");
        b.setParagraph(text.indexOf("ship"), Formats.BLOCK, "bullet");
        b.setParagraph(text.indexOf("write"), Formats.BLOCK, "bullet");
        b.mark(text.indexOf("Friday"), text.indexOf("Friday") + 6, Formats.BOLD, "true");
        b.mark(text.indexOf("user guide"), text.indexOf("user guide") + 10, Formats.LINK, "https://tandem.example/guide");
        b.setParagraph(text.indexOf("Risks"), Formats.BLOCK, "quote");
        b.mark(text.indexOf("hub"), text.indexOf("hub") + 3, Formats.CODE, "true");
        b.setParagraph(text.indexOf("Steps"), Formats.BLOCK, "h3");
        b.setParagraph(text.indexOf("check"), Formats.BLOCK, "numbered");
        b.setParagraph(text.indexOf("run the"), Formats.BLOCK, "numbered");
        b.setParagraph(text.indexOf("int port"), Formats.BLOCK, "code");
        b.mark(text.indexOf("strike"), text.indexOf("strike") + 6, Formats.STRIKETHROUGH, "true");
        b.mark(text.indexOf("underline"), text.indexOf("underline") + 9, Formats.UNDERLINE, "true");
        b.mark(text.indexOf("A last"), text.indexOf("A last") + 6, Formats.ITALIC, "true");
        w.presence.update(List.of(new PresenceViewModel.Row("a", "Ada", "#1f77b4", true, true, false),
                new PresenceViewModel.Row("g", "Grace", "#d62728", false, true, true),
                new PresenceViewModel.Row("l", "Linus", "#2ca02c", false, false, false)));
        int g = text.indexOf("survive");
        w.cursors.update(List.of(new RemoteCursors.Cursor("g", "Grace", "#d62728", doc.anchor(g, Bias.LEFT), doc.anchor(g + 7, Bias.LEFT)),
                new RemoteCursors.Cursor("l", "Linus", "#2ca02c", doc.anchor(text.indexOf("overnight"), Bias.LEFT), null)));
        w.find.show(false);
        w.find.query.setText("client");
        w.status.setWords(40, 0, 0);
        w.stage.setWidth(width);
        w.stage.setHeight(height);
        w.stage.show();
        w.area.moveTo(text.indexOf("desktop"));
        return w;
    }

    private static void shoot(RoomWindow w, File file) throws Exception {
        Thread.sleep(400); // a few pulses: layout, the labels placed after it
        fx(() -> {
            write(w.stage.getScene().snapshot(null), file);
            return null;
        });
    }

    static void write(WritableImage image, File file) throws java.io.IOException {
        int width = (int) image.getWidth(), height = (int) image.getHeight();
        BufferedImage png = new BufferedImage(width, height, BufferedImage.TYPE_INT_ARGB);
        PixelReader r = image.getPixelReader();
        for (int y = 0; y < height; y++) for (int x = 0; x < width; x++) png.setRGB(x, y, r.getArgb(x, y));
        ImageIO.write(png, "png", file);
    }

    private static <T> T fx(java.util.concurrent.Callable<T> c) throws Exception {
        CompletableFuture<T> f = new CompletableFuture<>();
        Platform.runLater(() -> {
            try {
                f.complete(c.call());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        return f.get(20, TimeUnit.SECONDS);
    }

    private static void fx(Runnable r) throws Exception {
        fx(() -> {
            r.run();
            return null;
        });
    }
}
