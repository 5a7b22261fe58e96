package dev.portcullis.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** The status and reason the access log gives a request that ended before its response did. */
class CutShortTest {
    @Test
    void aClientThatBrokeHttp2Is400WithTheErrorAnythingElse499() {
        Http2Exception broken = Http2Exception.streamError(3, Http2Error.PROTOCOL_ERROR, "bad content-length");
        assertThat(CutShort.clientFailed(new DecoderException(broken)))
                .isEqualTo(new CutShort(400, "stream-error-protocol-error"));
        assertThat(CutShort.clientFailed(new IOException("Connection reset by peer")))
                .isEqualTo(new CutShort(499, "client-error"));
    }

    @Test
    void aResetNamesItsCodeOrGivesItInHexWhenRfc9113DefinesNone() {
        assertThat(CutShort.clientReset(Http2Error.CANCEL.code())).isEqualTo(new CutShort(499, "client-reset-cancel"));
        assertThat(CutShort.clientReset(0xabcL)).isEqualTo(new CutShort(499, "client-reset-0xabc"));
    }

    @Test
    void anIdleTimeoutIs408WhileTheBodyWasAwaitedAnd504WhileTheAnswerWas() {
        assertThat(CutShort.idleTimedOut(false)).isEqualTo(new CutShort(408, "idle-timeout"));
        assertThat(CutShort.idleTimedOut(true)).isEqualTo(new CutShort(504, "idle-timeout"));
    }

    @Test
    void aRevocationHasTheStatusTheNextRequestsRefusalWouldHave() {
        assertThat(CutShort.revoked("token-expired")).isEqualTo(new CutShort(401, "revoked-token-expired"));
        assertThat(CutShort.revoked("session-ended")).isEqualTo(new CutShort(401, "revoked-session-ended"));
        assertThat(CutShort.revoked("workspace-stopped")).isEqualTo(new CutShort(503, "revoked-workspace-stopped"));
        assertThat(CutShort.revoked("workspace-moved")).isEqualTo(new CutShort(503, "revoked-workspace-moved"));
        assertThat(CutShort.revoked("access-withdrawn")).isEqualTo(new CutShort(403, "revoked-access-withdrawn"));
    }
}
