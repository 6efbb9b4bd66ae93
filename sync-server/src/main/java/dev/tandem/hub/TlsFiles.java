package dev.tandem.hub;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;

/** The PEM files of {@code --tls-cert} and {@code --tls-key}, as the in-memory key store Jetty takes. */
final class TlsFiles {
    private TlsFiles() {}

    /** The in-memory store's password: it never touches a disk, so it protects nothing. */
    static final String PASSWORD = "tandem";

    /**
     * @param certFile PEM certificate chain, the hub's own certificate first
     * @param keyFile PEM private key in PKCS#8 ({@code -----BEGIN PRIVATE KEY-----}, what
     *     {@code openssl req -newkey ... -nodes} and Let's Encrypt write), RSA or EC
     */
    static KeyStore keyStore(Path certFile, Path keyFile) throws IOException {
        Collection<? extends Certificate> chain;
        try (InputStream in = Files.newInputStream(certFile)) {
            chain = CertificateFactory.getInstance("X.509").generateCertificates(in);
        } catch (GeneralSecurityException e) {
            throw new IOException(certFile + " is not a PEM certificate chain: " + e.getMessage(), e);
        }
        if (chain.isEmpty()) throw new IOException(certFile + " holds no certificate");
        String pem = Files.readString(keyFile, StandardCharsets.US_ASCII);
        if (!pem.contains("-----BEGIN PRIVATE KEY-----")) {
            throw new IOException(keyFile + " is not a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----); convert it with "
                    + "openssl pkcs8 -topk8 -nocrypt -in OLD -out NEW");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(pem.substring(pem.indexOf("-----BEGIN PRIVATE KEY-----") + 27, pem.indexOf("-----END PRIVATE KEY-----")));
        } catch (RuntimeException e) {
            throw new IOException(keyFile + " is not a PEM private key: " + e.getMessage(), e);
        }
        PrivateKey key = null;
        for (String kind : new String[] {"RSA", "EC", "Ed25519"}) {
            try {
                key = KeyFactory.getInstance(kind).generatePrivate(new PKCS8EncodedKeySpec(der));
                break;
            } catch (GeneralSecurityException e) {
                // try the next kind
            }
        }
        if (key == null) throw new IOException(keyFile + " holds neither an RSA, EC nor Ed25519 private key");
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("hub", key, PASSWORD.toCharArray(), chain.toArray(Certificate[]::new));
            return ks;
        } catch (GeneralSecurityException e) {
            throw new IOException("the key in " + keyFile + " does not go with the certificate in " + certFile + ": " + e.getMessage(), e);
        }
    }
}
