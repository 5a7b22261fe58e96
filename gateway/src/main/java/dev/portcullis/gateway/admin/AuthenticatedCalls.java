package dev.portcullis.gateway.admin;

import dev.portcullis.gateway.admin.AccessApi.Answer;
import dev.portcullis.gateway.admin.AccessApi.BadCall;
import dev.portcullis.gateway.auth.BearerTokens;
import dev.portcullis.gateway.auth.IdentityVerifier;
import dev.portcullis.gateway.auth.TokenRejectedException;
import dev.portcullis.gateway.auth.VerifiedIdentity;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * How every admin API call starts: the bearer token verified (none, or one refused: 401), then the
 * call run on the API's own thread, never on an event loop. A {@link BadCall} becomes its answer.
 */
final class AuthenticatedCalls {
    private AuthenticatedCalls() {}

    /** What an API does for a verified caller. */
    @FunctionalInterface
    interface Call {
        Answer answer(VerifiedIdentity caller) throws BadCall;
    }

    static CompletableFuture<Answer> run(IdentityVerifier identity, String authorization, Executor thread, Call call) {
        String token = BearerTokens.from(authorization);
        if (token == null) {
            return CompletableFuture.completedFuture(
                    Answer.error(401, "unauthenticated", "The admin API needs 'Authorization: Bearer <JWT>'."));
        }
        return identity.verifyAsync(token).handleAsync((caller, failure) -> {
            if (failure != null) {
                Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
                return Answer.error(401, "unauthenticated", cause instanceof TokenRejectedException rejected
                        ? "The token was refused (" + rejected.reason().code() + ")." : "The token could not be checked.");
            }
            try {
                return call.answer(caller);
            } catch (BadCall bad) {
                return Answer.error(bad.status, bad.code, bad.getMessage());
            }
        }, thread);
    }
}
