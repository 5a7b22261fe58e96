package dev.portcullis.gateway.auth;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.util.Base64URL;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.EdECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Set;

/**
 * Verifies Ed25519 JWS signatures with the JDK's own {@code Ed25519} signature (JDK 15+). Nimbus'
 * Ed25519Verifier needs Google Tink, which we do not ship.
 */
final class Ed25519Verifier implements JWSVerifier {
    private static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.EdDSA, JWSAlgorithm.Ed25519);
    // DER prefix of a SubjectPublicKeyInfo for Ed25519 (RFC 8410); the 32 raw key bytes follow.
    private static final byte[] X509_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
    private static final int SIGNATURE_LENGTH = 64;

    private final PublicKey publicKey;
    private final JCAContext jcaContext = new JCAContext();

    Ed25519Verifier(PublicKey publicKey) {
        requireNonNull(publicKey, "publicKey");
        if (!(publicKey instanceof EdECPublicKey ed) || !"Ed25519".equals(ed.getParams().getName())) {
            throw new IllegalArgumentException("public key: " + publicKey.getAlgorithm() + " (expected: Ed25519)");
        }
        this.publicKey = publicKey;
    }

    /** The JDK public key for an OKP JWK with curve Ed25519. */
    static PublicKey publicKey(OctetKeyPair jwk) throws JOSEException {
        if (!Curve.Ed25519.equals(jwk.getCurve())) {
            throw new JOSEException("OKP curve: " + jwk.getCurve() + " (expected: Ed25519)");
        }
        byte[] raw = jwk.getX().decode();
        if (raw.length != 32) {
            throw new JOSEException("Ed25519 public key: " + raw.length + " bytes (expected: 32)");
        }
        byte[] der = new byte[X509_PREFIX.length + raw.length];
        System.arraycopy(X509_PREFIX, 0, der, 0, X509_PREFIX.length);
        System.arraycopy(raw, 0, der, X509_PREFIX.length, raw.length);
        try {
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw new JOSEException("Ed25519 public key not usable: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean verify(JWSHeader header, byte[] signingInput, Base64URL signature) throws JOSEException {
        if (!ALGORITHMS.contains(header.getAlgorithm())) {
            throw new JOSEException("alg: " + header.getAlgorithm() + " (expected: one of " + ALGORITHMS + ")");
        }
        byte[] sig = signature.decode();
        if (sig.length != SIGNATURE_LENGTH) {
            return false;
        }
        try {
            Signature verifier = Signature.getInstance("Ed25519");
            verifier.initVerify(publicKey);
            verifier.update(signingInput);
            return verifier.verify(sig);
        } catch (GeneralSecurityException e) {
            // A malformed signature is a bad signature, not an error of ours.
            return false;
        }
    }

    @Override
    public Set<JWSAlgorithm> supportedJWSAlgorithms() {
        return ALGORITHMS;
    }

    @Override
    public JCAContext getJCAContext() {
        return jcaContext;
    }
}
