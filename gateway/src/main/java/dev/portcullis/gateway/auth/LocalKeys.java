package dev.portcullis.gateway.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.ParseException;
import java.util.UUID;

/** Signing keys the gateway keeps itself: P-256 JWK files, made on first use, readable by their owner only. */
public final class LocalKeys {
    private LocalKeys() {}

    /** A P-256 key that lives only as long as the process. */
    public static ECKey newEcKey(String kidPrefix) {
        try {
            return new ECKeyGenerator(Curve.P_256).keyID(kidPrefix + "-" + UUID.randomUUID().toString().substring(0, 8))
                    .generate();
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot make a P-256 key", e);
        }
    }

    /** The key in {@code file}; made there first (mode 0600, written atomically) when there is none. */
    public static ECKey loadOrCreateEc(Path file, String kidPrefix) throws IOException {
        if (!Files.exists(file)) {
            Path folder = file.toAbsolutePath().getParent();
            Files.createDirectories(folder);
            Path temp = folder.resolve("." + file.getFileName() + "." + UUID.randomUUID() + ".tmp");
            Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(temp, newEcKey(kidPrefix).toJSONString(), StandardCharsets.UTF_8,
                    StandardOpenOption.TRUNCATE_EXISTING);
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException raced) {
                Files.deleteIfExists(temp); // another process made it first: use theirs
            }
        }
        return loadEc(file);
    }

    /** The key in {@code file}; fails when there is none (nothing is created). */
    public static ECKey loadEc(Path file) throws IOException {
        try {
            ECKey key = ECKey.parse(Files.readString(file, StandardCharsets.UTF_8));
            if (!key.isPrivate()) {
                throw new IOException(file + ": a public key (expected: a private JWK, to sign with)");
            }
            return key;
        } catch (ParseException e) {
            throw new IOException(file + ": not a P-256 JWK: " + e.getMessage(), e);
        }
    }
}
