package dev.tandem.sync;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Which hub certificates a client accepts over wss:// (docs/hub.md "TLS"): the system's CAs
 * (with the usual host name check), plus optionally one pinned certificate, given as the PEM file
 * itself ({@code --trust-cert}) or as the SHA-256 of its DER encoding (an invite's
 * {@code sha256}). A pinned certificate is accepted for exactly that certificate, whatever host
 * name it carries: the pin is stronger than a name. Anything else fails the handshake with a
 * message naming the fingerprint that was offered; there is never a fallback to ws://.
 */
public final class TlsTrust {
    private final SSLContext context;
    private final String description;
    /** The pinned certificate's SHA-256 in hex, or "" for none: what equality compares. */
    private final String pin;

    private TlsTrust(byte[] pinnedSha256, String description) {
        this.description = description;
        this.pin = pinnedSha256 == null ? "" : HexFormat.of().formatHex(pinnedSha256);
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init((KeyStore) null);
            X509ExtendedTrustManager system = null;
            for (TrustManager tm : tmf.getTrustManagers()) {
                if (tm instanceof X509ExtendedTrustManager x) system = x;
            }
            if (system == null) throw new IllegalStateException("no system trust manager");
            context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new Pinned(system, pinnedSha256)}, null);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    /** The system's CAs only. */
    public static TlsTrust system() {
        return new TlsTrust(null, "the system's CAs");
    }

    /** The system's CAs and the certificate in {@code pemFile}. */
    public static TlsTrust withCertificate(Path pemFile) throws IOException {
        try (InputStream in = Files.newInputStream(pemFile)) {
            X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            return new TlsTrust(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()), "the system's CAs and " + pemFile);
        } catch (GeneralSecurityException e) {
            throw new IOException(pemFile + " is not a PEM certificate: " + e.getMessage(), e);
        }
    }

    /** The system's CAs and the certificate whose DER encoding has this SHA-256 (64 hex digits, colons allowed). */
    public static TlsTrust withFingerprint(String sha256) {
        String hex = sha256 == null ? "" : sha256.replace(":", "").toLowerCase(Locale.ROOT);
        if (!hex.matches("[0-9a-f]{64}")) throw new IllegalArgumentException("a SHA-256 fingerprint is 64 hex digits, was " + sha256);
        return new TlsTrust(HexFormat.of().parseHex(hex), "the system's CAs and the certificate with SHA-256 " + hex);
    }

    /** The SHA-256 of a certificate's DER encoding, lowercase hex: what {@link #withFingerprint} takes. */
    public static String fingerprint(X509Certificate cert) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public SSLContext sslContext() {
        return context;
    }

    @Override
    public String toString() {
        return description;
    }

    /**
     * Equal when they trust the same pinned certificate (or none): clients with equal trusts
     * share one connection pool ({@code SyncRuntime}), so making a TlsTrust per connection costs
     * nothing more than one per hub.
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof TlsTrust t && t.pin.equals(pin);
    }

    @Override
    public int hashCode() {
        return pin.hashCode();
    }

    /** The system's checks first; if they fail, the pin (exact certificate), else a clear refusal. */
    private static final class Pinned extends X509ExtendedTrustManager {
        private final X509ExtendedTrustManager system;
        private final byte[] pin;

        Pinned(X509ExtendedTrustManager system, byte[] pin) {
            this.system = system;
            this.pin = pin;
        }

        private void orPinned(X509Certificate[] chain, CertificateException failure) throws CertificateException {
            if (chain == null || chain.length == 0) throw failure;
            byte[] offered;
            try {
                offered = MessageDigest.getInstance("SHA-256").digest(chain[0].getEncoded());
            } catch (GeneralSecurityException e) {
                throw new CertificateException(e);
            }
            if (pin != null && MessageDigest.isEqual(pin, offered)) return;
            // No cause attached: callers report the innermost message, and this one says it all.
            throw new CertificateException("the hub's certificate (SHA-256 " + HexFormat.of().formatHex(offered) + ", " + chain[0].getSubjectX500Principal()
                    + ") is not trusted: " + (pin == null ? "no system CA signed it" : "neither a system CA signed it nor is it the pinned certificate")
                    + " (" + failure.getMessage() + ")");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            try {
                system.checkServerTrusted(chain, authType, engine);
            } catch (CertificateException e) {
                orPinned(chain, e);
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            try {
                system.checkServerTrusted(chain, authType, socket);
            } catch (CertificateException e) {
                orPinned(chain, e);
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            try {
                system.checkServerTrusted(chain, authType);
            } catch (CertificateException e) {
                orPinned(chain, e);
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            throw new CertificateException("a client does not authenticate clients");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            throw new CertificateException("a client does not authenticate clients");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a client does not authenticate clients");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return ((X509TrustManager) system).getAcceptedIssuers();
        }
    }
}
