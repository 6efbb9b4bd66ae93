package dev.tandem.client;

import dev.tandem.hub.Hub;
import dev.tandem.hub.HubConfig;
import javafx.application.Platform;
import javafx.stage.Stage;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Stages docs/screenshot.png: a real hub and two real clients editing one room side by side.
 * Run under Xvfb (see docs/client.md, "Screenshot"); the caller takes the picture
 * ({@code import -window root}) when this prints READY, then presses Ctrl+C or waits for the exit.
 */
public final class ScreenshotTool {
    private static void waitUntil(java.util.function.BooleanSupplier onFx) throws Exception {
        for (int i = 0; i < 200; i++) {
            CompletableFuture<Boolean> f = new CompletableFuture<>();
            Platform.runLater(() -> f.complete(onFx.getAsBoolean()));
            if (f.get(5, TimeUnit.SECONDS)) return;
            Thread.sleep(50);
        }
        throw new IllegalStateException("the clients never converged");
    }

    public static void main(String[] args) throws Exception {
        Path tmp = Files.createTempDirectory("tandem-shot");
        Hub hub = Hub.start(HubConfig.defaults(tmp.resolve("hub")).withPort(0).withSecurity(dev.tandem.hub.HubSecurity.none()));
        URI server = URI.create("ws://127.0.0.1:" + hub.port());
        var io = Executors.newSingleThreadExecutor();
        CompletableFuture<RoomSession[]> started = new CompletableFuture<>();
        Platform.startup(() -> {
            RoomAddress room = new RoomAddress(server, "team-notes");
            RoomWindow.Actions none = new RoomWindow.Actions() {
                @Override public void joinRoom() {}
                @Override public void host() {}
                @Override public void setOffline(boolean offline) {}
                @Override public void quit() {}
                @Override public void openLink(String url) {}
            };
            RoomSession.open(new Stage(), room, room, new RoomSession.Identity("Ada", "#1f77b4"), tmp.resolve("ada"), io, none)
                    .thenCompose(a -> RoomSession.open(new Stage(), room, room, new RoomSession.Identity("Grace", "#d62728"), tmp.resolve("grace"), io, none)
                            .thenApply(g -> new RoomSession[] {a, g}))
                    .thenAccept(both -> {
                        for (int i = 0; i < 2; i++) {
                            Stage s = both[i].window.stage;
                            s.setX(i * 900);
                            s.setY(0);
                            s.setWidth(900);
                            s.setHeight(620);
                            s.show();
                        }
                        started.complete(both);
                    });
        });
        RoomSession[] both = started.get(20, TimeUnit.SECONDS);
        RoomSession ada = both[0], grace = both[1];
        String adaText = "Launch plan\nGoals for Friday:\nship the desktop client\nwrite the user guide\nRisks: the hub must survive a restart.\n";
        for (int i = 0; i < adaText.length(); i += 3) {
            String chunk = adaText.substring(i, Math.min(adaText.length(), i + 3));
            Platform.runLater(() -> ada.window.area.appendText(chunk));
            Thread.sleep(15);
        }
        waitUntil(() -> ada.window.area.getText().equals(adaText));
        Platform.runLater(() -> {
            // Formatting, as the toolbar and shortcuts make it.
            EditorBinding b = ada.window.binding;
            String t = ada.window.area.getText();
            b.setParagraph(0, dev.tandem.crdt.Formats.BLOCK, "h1");
            b.mark(t.indexOf("Friday"), t.indexOf("Friday") + 6, dev.tandem.crdt.Formats.BOLD, "true");
            b.setParagraph(t.indexOf("ship"), dev.tandem.crdt.Formats.BLOCK, "bullet");
            b.setParagraph(t.indexOf("write"), dev.tandem.crdt.Formats.BLOCK, "bullet");
            b.mark(t.indexOf("user guide"), t.indexOf("user guide") + 10, dev.tandem.crdt.Formats.LINK, "https://tandem.example/guide");
            b.setParagraph(t.indexOf("Risks"), dev.tandem.crdt.Formats.BLOCK, "quote");
            b.mark(t.indexOf("Risks:"), t.indexOf("Risks:") + 6, dev.tandem.crdt.Formats.ITALIC, "true");
            b.mark(t.indexOf("hub"), t.indexOf("hub") + 3, dev.tandem.crdt.Formats.CODE, "true");
        });
        Platform.runLater(() -> {
            int risks = ada.window.area.getText().indexOf("survive a restart");
            ada.window.area.requestFocus();
            ada.window.area.selectRange(risks, risks + "survive".length());
        });
        waitUntil(() -> grace.window.area.getText().equals(adaText));
        // Ada names her draft (History panel, "Name this version...").
        CompletableFuture<String> named = new CompletableFuture<>();
        Platform.runLater(() -> {
            ada.window.history.setOpen(true);
            ada.window.history.step(1);
        });
        Thread.sleep(800);
        Platform.runLater(() -> named.complete(String.valueOf(ada.window.history.nameVersion("First draft"))));
        System.out.println("naming: " + named.get(5, TimeUnit.SECONDS));
        Platform.runLater(() -> ada.window.history.setOpen(false));
        // Grace rewrites a few words of the quote: history shows them struck through.
        Platform.runLater(() -> {
            String t = grace.window.area.getText();
            int at = t.indexOf("must survive");
            grace.window.area.replaceText(at, at + "must survive".length(), "survives");
        });
        Thread.sleep(300);
        String graceText = " (Grace: tested on Linux and macOS)";
        Platform.runLater(() -> grace.window.area.moveTo(grace.window.area.getText().indexOf("\nwrite")));
        Thread.sleep(300);
        for (char c : graceText.toCharArray()) {
            Platform.runLater(() -> grace.window.area.insertText(grace.window.area.getCaretPosition(), String.valueOf(c)));
            Thread.sleep(20);
        }
        waitUntil(() -> grace.window.area.getText().contains("macOS)") && ada.window.area.getText().equals(grace.window.area.getText()));
        // Ada looks at what Grace changed: Grace's entry in her history panel.
        Platform.runLater(() -> ada.window.history.setOpen(true));
        waitUntil(() -> ada.window.history.list.getItems().stream().anyMatch(e -> e.name().equals("Grace")));
        Platform.runLater(() -> ada.window.history.list.getItems().stream().filter(e -> e.name().equals("Grace")).findFirst()
                .ifPresent(e -> ada.window.history.list.getSelectionModel().select(e)));
        waitUntil(() -> ada.window.history.viewingProperty().get());
        Thread.sleep(1500); // the past version is computed on the sync thread; presence catches up
        System.out.println("READY");
        Thread.sleep(Long.parseLong(args.length > 0 ? args[0] : "8000"));
        Platform.runLater(() -> {
            ada.close();
            grace.close();
        });
        Thread.sleep(1000);
        Platform.exit();
        hub.close();
        io.shutdown();
        System.exit(0);
    }
}
