package dev.portcullis.gateway.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.proc.JWSVerifierFactory;
import java.security.Key;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Set;

/**
 * Makes a verifier for a public key. Unlike Nimbus' default factory it never makes an HMAC
 * verifier, so a public key can never be used as a shared secret (the key-confusion attack).
 */
final class SignatureVerifierFactory implements JWSVerifierFactory {
    private final JCAContext jcaContext = new JCAContext();

    @Override
    public JWSVerifier createJWSVerifier(JWSHeader header, Key key) throws JOSEException {
        JWSAlgorithm alg = header.getAlgorithm();
        if (JWSAlgorithm.Family.RSA.contains(alg) && key instanceof RSAPublicKey rsa) {
            return new RSASSAVerifier(rsa);
        }
        if (JWSAlgorithm.Family.EC.contains(alg) && key instanceof ECPublicKey ec) {
            return new ECDSAVerifier(ec);
        }
        if ((JWSAlgorithm.EdDSA.equals(alg) || JWSAlgorithm.Ed25519.equals(alg)) && key instanceof EdECPublicKey) {
            return new Ed25519Verifier((EdECPublicKey) key);
        }
        throw new JOSEException("no verifier for alg " + alg + " with a " + key.getAlgorithm() + " key");
    }

    @Override
    public Set<JWSAlgorithm> supportedJWSAlgorithms() {
        return IssuerConfig.SUPPORTED_ALGORITHMS;
    }

    @Override
    public JCAContext getJCAContext() {
        return jcaContext;
    }
}
