package dev.tandem.sync;

import dev.tandem.crdt.Doc;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Lists of hub addresses: both written forms, the limits, and the config and invite that carry them. */
class HubAddressesTest {
    private static final URI A = URI.create("ws://a.example:7070");
    private static final URI B = URI.create("ws://b.example:7071");

    private static String refused(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void readsFullAddressesAndTheShortForm() {
        assertEquals(List.of(A), HubAddresses.parse("ws://a.example:7070"));
        assertEquals(List.of(A, B), HubAddresses.parse("ws://a.example:7070,ws://b.example:7071"));
        assertEquals(List.of(A, B), HubAddresses.parse(" ws://a.example:7070 , ws://b.example:7071 "));
        assertEquals(List.of(A, B), HubAddresses.parse("ws://a.example:7070,b.example:7071"));
        assertEquals(List.of(URI.create("ws://a:1"), URI.create("wss://b:2/t")), HubAddresses.parse("WS://a:1,wss://b:2/t"));
        // In the short form the path after the last host applies to every host, as in PostgreSQL's URLs.
        assertEquals(List.of(URI.create("wss://a:1/tandem"), URI.create("wss://b:2/tandem")), HubAddresses.parse("wss://a:1,b:2/tandem"));
    }

    @Test
    void refusesBadListsWithTheirReason() {
        assertTrue(refused(() -> HubAddresses.parse("")).contains("no hub address"));
        assertTrue(refused(() -> HubAddresses.parse(null)).contains("no hub address"));
        assertTrue(refused(() -> HubAddresses.parse("ws://a:1,http://b:2")).contains("ws:// or wss://, was http://b:2"));
        assertTrue(refused(() -> HubAddresses.parse("a:1,b:2")).contains("ws:// or wss://"));
        assertTrue(refused(() -> HubAddresses.parse("ws://a:1,,ws://b:2")).contains("empty hub address"));
        assertTrue(refused(() -> HubAddresses.parse("ws://a:1,")).contains("empty hub address"));
        assertTrue(refused(() -> HubAddresses.parse("ws://a:1,ws://a:1")).contains("listed twice"));
        assertTrue(refused(() -> HubAddresses.parse("ws://a:1/x,b:2")).contains("only the last address may have a path"));
        assertTrue(refused(() -> HubAddresses.parse("ws://a:99999")).contains("port"));
        assertTrue(refused(() -> HubAddresses.parse("ws://a:1?x=1")).contains("query"));
        assertTrue(refused(() -> HubAddresses.parse("ws:///nohost")).contains("no host"));
        assertTrue(refused(() -> HubAddresses.parse("ws://a:1," + "x".repeat(9000))).contains("longer than"));
        StringBuilder seventeen = new StringBuilder("ws://h0:1");
        for (int i = 1; i < 17; i++) seventeen.append(",h").append(i).append(":1");
        assertTrue(refused(() -> HubAddresses.parse(seventeen.toString())).contains("at most 16"));
        assertEquals(16, HubAddresses.parse(seventeen.substring(0, seventeen.lastIndexOf(","))).size());
    }

    @Test
    void theConfigChecksItsList() {
        Doc doc = new Doc();
        assertTrue(refused(() -> SyncConfig.builder(List.of(), "notes", doc)).contains("no hub address"));
        assertTrue(refused(() -> SyncConfig.builder(List.of(A, URI.create("http://b:1")), "notes", doc)).contains("ws:// or wss://, was http://b:1"));
        assertTrue(refused(() -> SyncConfig.builder(List.of(A, A), "notes", doc)).contains("listed twice"));
        List<URI> many = new ArrayList<>();
        for (int i = 0; i < 17; i++) many.add(URI.create("ws://h" + i + ":7070"));
        assertTrue(refused(() -> SyncConfig.builder(many, "notes", doc)).contains("at most 16"));
        assertTrue(refused(() -> SyncConfig.builder(URI.create("http://a:1"), "notes", doc)).contains("ws:// or wss://"));
        assertEquals(List.of(A, B), SyncConfig.builder(List.of(A, B), "notes", doc).build().hubs);
        // One URI in the short form stands for its list: an invite's hub can be passed as it is.
        assertEquals(List.of(URI.create("ws://a:1"), URI.create("ws://b:2")), SyncConfig.builder(URI.create("ws://a:1,b:2"), "notes", doc).build().hubs);
    }

    @Test
    void joinWritesTheShortFormOnlyWhenSchemeAndPathAreShared() {
        assertEquals(URI.create("ws://a.example:7070,b.example:7071"), HubAddresses.join(List.of(A, B)));
        assertEquals(A, HubAddresses.join(List.of(A)));
        assertEquals(List.of(A, B), HubAddresses.parse(HubAddresses.join(List.of(A, B)).toString()));
        String mixed = refused(() -> HubAddresses.join(List.of(A, URI.create("wss://c:1"))));
        assertTrue(mixed.contains("must all be ws:// or all wss://"), mixed);
        assertTrue(refused(() -> HubAddresses.join(List.of(A, URI.create("ws://c:1/p")))).contains("share their path"));
        assertEquals("ws://a.example:7070,ws://b.example:7071", HubAddresses.format(List.of(A, B)));
    }

    @Test
    void anInviteMayNameSeveralHubs_andOldInvitesReadAsBefore() {
        String fp = "ab".repeat(32);
        Invite several = new Invite(URI.create("wss://a:7070,b:7071"), "team notes", "x.y.z", fp);
        String text = several.format();
        assertEquals("wss://a:7070,b:7071/rooms/team%20notes#token=x.y.z&sha256=" + fp, text);
        Invite back = Invite.parse(text);
        assertEquals(several, back);
        assertEquals(List.of(URI.create("wss://a:7070"), URI.create("wss://b:7071")), back.hubs());

        Invite old = Invite.parse("ws://10.0.0.5:7070/rooms/notes#token=x.y.z");
        assertEquals(URI.create("ws://10.0.0.5:7070"), old.hub());
        assertEquals(List.of(URI.create("ws://10.0.0.5:7070")), old.hubs());

        assertTrue(refused(() -> Invite.parse("ws://a:1,a:1/rooms/notes")).contains("listed twice"));
        assertTrue(refused(() -> Invite.parse("ws://a:1,b:99999/rooms/notes")).contains("port"));
        assertTrue(refused(() -> new Invite(URI.create("http://a:1"), "notes", null, null)).contains("ws:// or wss://"));
    }
}
