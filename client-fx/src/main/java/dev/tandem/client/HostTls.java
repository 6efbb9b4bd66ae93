package dev.tandem.client;

import dev.tandem.sync.TlsTrust;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/**
 * The embedded hub's TLS certificate: self-signed, made once with the JDK's {@code keytool} and
 * kept in the profile ({@value #CERT} and {@value #KEY}, the key owner-only), so the fingerprint
 * in invites already sent stays valid across restarts. Nobody checks its host name: invites pin
 * it by fingerprint ({@link TlsTrust#withFingerprint}).
 *
 * @param cert PEM certificate
 * @param key PEM private key (PKCS#8), what {@code --tls-key} takes
 * @param sha256 the certificate's SHA-256 (lowercase hex), as invites carry it
 */
record HostTls(Path cert, Path key, String sha256) {
    static final String CERT = "host-cert.pem";
    static final String KEY = "host-key.pem";
    /** Certificate files larger than this are not ours: refused before reading. */
    private static final long MAX_FILE_BYTES = 64 * 1024;

    /**
     * The certificate in {@code dir}, made first if there is none. A certificate that is there but
     * unreadable is reported, never replaced: a new one would silently invalidate every invite.
     */
    static HostTls loadOrCreate(Path dir) throws IOException {
        Path cert = dir.resolve(CERT);
        Path key = dir.resolve(KEY);
        if (!Files.exists(cert) || !Files.exists(key)) create(dir, cert, key);
        if (Files.size(cert) > MAX_FILE_BYTES) throw new IOException(cert + " is larger than a certificate (" + Files.size(cert) + " bytes)");
        try (InputStream in = Files.newInputStream(cert)) {
            X509Certificate c = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            return new HostTls(cert, key, TlsTrust.fingerprint(c));
        } catch (GeneralSecurityException | ClassCastException e) {
            throw new IOException(cert + " is not a PEM certificate (" + e.getMessage() + "); move " + dir
                    + " away to make a new one (invites sent before stop working)", e);
        }
    }

    /**
     * Makes an EC P-256 key pair and a self-signed certificate valid for ten years with keytool,
     * in a temporary PKCS#12 store (its password passed through the environment, never on the
     * command line), then writes the key owner-only and moves both files into place, the
     * certificate last: a certificate without its key is never left behind.
     */
    private static void create(Path dir, Path cert, Path key) throws IOException {
        Files.createDirectories(dir);
        boolean posix = Files.getFileStore(dir).supportsFileAttributeView("posix");
        Path work = posix
                ? Files.createTempDirectory(dir, ".new-cert", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")))
                : Files.createTempDirectory(dir, ".new-cert");
        Path store = work.resolve("host.p12");
        Path pem = work.resolve(CERT);
        Path keyPem = work.resolve(KEY);
        byte[] random = new byte[18];
        new SecureRandom().nextBytes(random);
        String password = HexFormat.of().formatHex(random);
        try {
            keytool(password, "-genkeypair", "-alias", "host", "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA",
                    "-dname", "CN=Tandem host", "-validity", "3650", "-keystore", store.toString(), "-storetype", "PKCS12",
                    "-storepass:env", "TANDEM_STOREPASS");
            keytool(password, "-exportcert", "-rfc", "-alias", "host", "-keystore", store.toString(), "-storetype", "PKCS12",
                    "-storepass:env", "TANDEM_STOREPASS", "-file", pem.toString());
            byte[] pkcs8;
            try (InputStream in = Files.newInputStream(store)) {
                KeyStore ks = KeyStore.getInstance("PKCS12");
                ks.load(in, password.toCharArray());
                pkcs8 = ks.getKey("host", password.toCharArray()).getEncoded();
            } catch (GeneralSecurityException e) {
                throw new IOException("keytool made a key store that cannot be read: " + e.getMessage(), e);
            }
            if (posix) Files.createFile(keyPem, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(keyPem, "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(pkcs8)
                    + "\n-----END PRIVATE KEY-----\n", StandardCharsets.US_ASCII);
            Files.move(keyPem, key, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Files.move(pem, cert, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(store);
            Files.deleteIfExists(pem);
            Files.deleteIfExists(keyPem);
            Files.deleteIfExists(work);
        }
    }

    private static void keytool(String password, String... args) throws IOException {
        Path tool = Path.of(System.getProperty("java.home"), "bin", System.getProperty("os.name", "").startsWith("Windows") ? "keytool.exe" : "keytool");
        if (!Files.isExecutable(tool)) throw new IOException("cannot make a TLS certificate: this Java has no keytool (" + tool + ")");
        String[] command = new String[args.length + 1];
        command[0] = tool.toString();
        System.arraycopy(args, 0, command, 1, args.length);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("TANDEM_STOREPASS", password);
        Process p = pb.start();
        try {
            byte[] out = p.getInputStream().readNBytes(16 * 1024);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("keytool did not finish within 60 s");
            }
            if (p.exitValue() != 0) throw new IOException("keytool " + args[0] + " failed: " + new String(out, StandardCharsets.UTF_8).strip());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while making the TLS certificate", e);
        }
    }
}
