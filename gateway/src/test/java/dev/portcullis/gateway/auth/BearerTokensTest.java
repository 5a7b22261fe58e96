package dev.portcullis.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The token of an {@code Authorization} value, copied out or located in place: the two agree. */
class BearerTokensTest {

    @Test
    void theTokenIsWhatFollowsTheSchemeInAnyCaseWithoutTheSpacesAround() {
        for (String value : new String[] {"Bearer abc", "bearer abc", "BEARER abc", "Bearer    abc  ", "bEaReR abc\t"}) {
            assertThat(BearerTokens.from(value)).as(value).isEqualTo("abc");
            int start = BearerTokens.tokenStart(value);
            assertThat(value.substring(start, BearerTokens.tokenEnd(value))).as(value).isEqualTo("abc");
        }
    }

    @Test
    void noTokenWithoutTheBearerSchemeOrWithAnEmptyOne() {
        for (String value : new String[] {"Basic YWxpY2U6c2VjcmV0", "Bearer ", "Bearer     ", "Bearerabc", "Bearer\tabc",
                "Bearer", "", "Beare abc", "Bearér abc"}) {
            assertThat(BearerTokens.from(value)).as(value).isNull();
            assertThat(BearerTokens.tokenStart(value)).as(value).isEqualTo(-1);
        }
        assertThat(BearerTokens.from(null)).isNull();
        assertThat(BearerTokens.tokenStart(null)).isEqualTo(-1);
    }

    @Test
    void aTokenIsLocatedInAnyCharSequenceWithoutACopy() {
        StringBuilder value = new StringBuilder("Bearer  eyJ.x.y ");
        assertThat(BearerTokens.tokenStart(value)).isEqualTo(8);
        assertThat(BearerTokens.tokenEnd(value)).isEqualTo(15);
    }
}
