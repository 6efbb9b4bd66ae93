package dev.tandem.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import dev.tandem.protocol.RoomNames;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code admin rooms|export|delete|reset URL [ROOM] --token ADMIN_TOKEN}: the admin endpoints of a
 * running hub ({@link AdminEndpoints}) over the wire, so they work while the hub has its data
 * directory open.
 */
@Command(name = "admin", mixinStandardHelpOptions = true,
        description = "Administer a running hub with an admin token: list, export, delete or reset rooms.",
        subcommands = {AdminCommand.Rooms.class, AdminCommand.Export.class, AdminCommand.Delete.class, AdminCommand.Reset.class})
final class AdminCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(System.err);
        return 2;
    }

    abstract static class Base implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "URL", description = "Hub address, e.g. ws://127.0.0.1:7070 or wss://hub.example.org")
        URI url;
        @Option(names = "--token", required = true, defaultValue = "${env:TANDEM_TOKEN}", description = "An admin token (env TANDEM_TOKEN).")
        String token;
        @Option(names = "--timeout", defaultValue = "30s", converter = DurationConverter.class, description = "Give up after this long (default ${DEFAULT-VALUE}).")
        Duration timeout;
        @Option(names = "--trust-cert", paramLabel = "FILE", description = "For wss://: also trust this PEM certificate (a self-signed hub).")
        java.nio.file.Path trustCert;
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        abstract String what();

        /** Sends the request; prints the error and returns null unless the status is 2xx. */
        HttpResponse<String> send(String method, String path) throws Exception {
            String scheme = switch (url.getScheme() == null ? "" : url.getScheme()) {
                case "ws", "http" -> "http";
                case "wss", "https" -> "https";
                default -> throw new IllegalArgumentException("the hub address must be ws:// or wss://, was " + url);
            };
            HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(timeout);
            if (trustCert != null) b.sslContext(dev.tandem.sync.TlsTrust.withCertificate(trustCert).sslContext());
            HttpRequest req = HttpRequest.newBuilder(URI.create(scheme + "://" + url.getRawAuthority() + path)).timeout(timeout)
                    .header("Authorization", "Bearer " + token).method(method, HttpRequest.BodyPublishers.noBody()).build();
            HttpResponse<String> r = b.build().send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            if (r.statusCode() / 100 != 2) {
                String error = r.body();
                try {
                    JsonNode n = JSON.readTree(r.body());
                    if (n.has("error")) error = n.get("error").asText();
                } catch (Exception notJson) {
                    // shown as it came
                }
                System.err.println("tandem-hub admin " + what() + ": HTTP " + r.statusCode() + ": " + dev.tandem.protocol.Wire.printable(error));
                return null;
            }
            return r;
        }

        @Override
        public Integer call() {
            try {
                return run();
            } catch (IllegalArgumentException e) {
                System.err.println("tandem-hub admin " + what() + ": " + e.getMessage());
                return 2;
            } catch (Exception e) {
                System.err.println("tandem-hub admin " + what() + ": " + e);
                return 1;
            }
        }

        abstract int run() throws Exception;

        java.io.PrintWriter out() {
            return spec.commandLine().getOut();
        }
    }

    abstract static class OneRoom extends Base {
        @Parameters(index = "1", paramLabel = "ROOM", description = "Room name")
        String room;

        String roomPath() {
            String problem = RoomNames.problem(room);
            if (problem != null) throw new IllegalArgumentException(problem);
            return "/admin/rooms/" + RoomNames.encode(room);
        }
    }

    @Command(name = "rooms", mixinStandardHelpOptions = true, description = "List the rooms: name, stored bytes, members now, last activity (tab-separated).")
    static final class Rooms extends Base {
        @Override
        String what() {
            return "rooms";
        }

        @Override
        int run() throws Exception {
            HttpResponse<String> r = send("GET", "/admin/rooms");
            if (r == null) return 1;
            java.io.PrintWriter out = out();
            for (JsonNode room : JSON.readTree(r.body()).get("rooms")) {
                out.println(room.get("name").asText() + "\t" + room.get("bytes").asLong() + "\t" + room.get("members").asInt() + "\t"
                        + (room.get("lastActivity").isNull() ? "-" : room.get("lastActivity").asText()));
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true, description = "Print a room's text to stdout.")
    static final class Export extends OneRoom {
        @Override
        String what() {
            return "export";
        }

        @Override
        int run() throws Exception {
            HttpResponse<String> r = send("GET", roomPath());
            if (r == null) return 1;
            out().print(r.body());
            out().flush();
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a room: its members are disconnected (room_deleted) and everything stored of it is removed.")
    static final class Delete extends OneRoom {
        @Override
        String what() {
            return "delete";
        }

        @Override
        int run() throws Exception {
            HttpResponse<String> r = send("DELETE", roomPath());
            if (r == null) return 1;
            out().println("deleted room \"" + room + "\"");
            out().flush();
            return 0;
        }
    }

    @Command(name = "reset", mixinStandardHelpOptions = true, description = "Start over a room whose stored state cannot load; its bytes are kept in the hub's DATA/reset/.")
    static final class Reset extends OneRoom {
        @Override
        String what() {
            return "reset";
        }

        @Override
        int run() throws Exception {
            HttpResponse<String> r = send("POST", roomPath() + "/reset");
            if (r == null) return 1;
            out().println("reset room \"" + room + "\"; its unloadable state is kept in " + JSON.readTree(r.body()).get("backup").asText());
            out().flush();
            return 0;
        }
    }
}
