package dev.portcullis.gateway.signin;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.DirectDecrypter;
import com.nimbusds.jose.crypto.DirectEncrypter;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.text.ParseException;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The gateway's sign-in key: it signs return-to links (HS256 JWTs, Nimbus) and seals the
 * provider's refresh and ID tokens before they go into the store (JWE, direct A256GCM), so a
 * reader of the store or its backups holds nothing usable. One master key; the signing and the
 * sealing keys are derived from it with different labels, so no key serves two purposes.
 */
public final class SignInSecrets {
    private static final String RETURN_TO_AUDIENCE = "portcullis-return-to";

    private final byte[] signingKey;
    private final byte[] sealingKey;

    private SignInSecrets(byte[] master) {
        this.signingKey = derive(master, "portcullis sign-in: return-to signing");
        this.sealingKey = derive(master, "portcullis sign-in: token sealing");
    }

    /** A key for this process only: return-to links and sealed tokens are worth nothing to another gateway. */
    public static SignInSecrets random() {
        return new SignInSecrets(generate().toByteArray());
    }

    /** The key in {@code file} (an oct JWK), made with mode 0600 when missing. */
    public static SignInSecrets loadOrCreate(Path file) throws IOException {
        if (!Files.exists(file)) {
            Path folder = file.toAbsolutePath().getParent();
            Files.createDirectories(folder);
            Path temp = folder.resolve(file.getFileName() + ".tmp-" + ProcessHandle.current().pid());
            Files.deleteIfExists(temp);
            Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(temp, generate().toJSONString(), StandardCharsets.UTF_8);
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException e) {
                Files.deleteIfExists(temp); // another gateway made it first: use theirs
            }
        }
        try {
            OctetSequenceKey key = OctetSequenceKey.parse(Files.readString(file, StandardCharsets.UTF_8));
            if (key.toByteArray().length < 32) {
                throw new IOException(file + ": the key has " + key.toByteArray().length * 8 + " bits (expected: at least 256)");
            }
            return new SignInSecrets(key.toByteArray());
        } catch (ParseException e) {
            throw new IOException(file + ": not an oct JWK: " + e.getMessage(), e);
        }
    }

    /** A signed link back to {@code url}, good until {@code expiresAt}. */
    public String signReturnTo(String url, Instant expiresAt) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder()
                    .audience(RETURN_TO_AUDIENCE).claim("url", url).expirationTime(Date.from(expiresAt)).build());
            jwt.sign(new MACSigner(signingKey));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a return-to link", e);
        }
    }

    /** The URL in a link this key signed, before it expired; empty for anything else. */
    public Optional<String> verifyReturnTo(String signed, Instant now) {
        try {
            SignedJWT jwt = SignedJWT.parse(signed);
            if (!JWSAlgorithm.HS256.equals(jwt.getHeader().getAlgorithm()) || !jwt.verify(new MACVerifier(signingKey))) {
                return Optional.empty();
            }
            JWTClaimsSet claims = jwt.getJWTClaimsSet();
            if (claims.getExpirationTime() == null || !now.isBefore(claims.getExpirationTime().toInstant())
                || claims.getAudience() == null || !claims.getAudience().contains(RETURN_TO_AUDIENCE)) {
                return Optional.empty();
            }
            return Optional.ofNullable(claims.getStringClaim("url"));
        } catch (ParseException | JOSEException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** {@code secret} encrypted and authenticated with the sealing key; null stays null. */
    public String seal(String secret) {
        if (secret == null) {
            return null;
        }
        try {
            JWEObject jwe = new JWEObject(new JWEHeader(JWEAlgorithm.DIR, EncryptionMethod.A256GCM), new Payload(secret));
            jwe.encrypt(new DirectEncrypter(sealingKey));
            return jwe.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot seal a token", e);
        }
    }

    /** The secret {@link #seal} sealed; empty when it was sealed with another key or changed. */
    public Optional<String> unseal(String sealed) {
        if (sealed == null) {
            return Optional.empty();
        }
        try {
            JWEObject jwe = JWEObject.parse(sealed);
            jwe.decrypt(new DirectDecrypter(sealingKey));
            return Optional.of(jwe.getPayload().toString());
        } catch (ParseException | JOSEException e) {
            return Optional.empty();
        }
    }

    private static OctetSequenceKey generate() {
        try {
            return new OctetSequenceKeyGenerator(256).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot make a 256-bit key", e);
        }
    }

    private static byte[] derive(byte[] master, String label) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(master, "HmacSHA256"));
            return mac.doFinal(label.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("every JDK has HmacSHA256", e);
        }
    }
}
