package dev.portcullis.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RequestPathsTest {

    @ParameterizedTest
    @CsvSource({
            "/admin, /admin",
            "/, /",
            "/admin/, /admin/",
            "//admin, /admin",
            "/a//b///c, /a/b/c",
            "/./admin, /admin",
            "/public/../admin, /admin",
            "/../../admin, /admin",
            "/a/b/.., /a/",
            "/a/b/., /a/b/",
            "/%61dmin, /admin",
            "/%7Euser/%2D%5F, /~user/-_",
            "/caf%c3%a9, /caf%C3%A9",
            "/a%20b, /a%20b",
            "/group%3Fx, /group%3Fx",
            "/.well-known/x, /.well-known/x",
            "/a/b.c/d, /a/b.c/d",
    })
    void normalisesToTheOneFormTheWorkspaceGets(String raw, String normal) {
        assertThat(RequestPaths.normalize(raw)).isEqualTo(new RequestPaths.Decided(normal));
    }

    @ParameterizedTest
    @ValueSource(strings = { "", "admin", "*", "/admin;x", "/x/..;/admin", "/metrics/..;/secret", "/a;jsessionid=1/b",
                             "/admin.", "/admin./x", "/a/...", "/admin%20", "/admin%20/x", "/admin%2fusers",
                             "/%2e%2e/admin", "/.%2E/admin", "/a\\b", "/a%5Cb", "/a%5cb", "/a%252e", "/a%3Bb",
                             "/a%00", "/a%0d%0aX: y", "/a#b", "/a\tb", "/a b", "/a\u007fb", "/caf\u00e9", "/a%2",
                             "/a%zz", "/a%" })
    void refusesFormsThatServersReadInDifferentWays(String raw) {
        assertThat(RequestPaths.normalize(raw)).isInstanceOf(RequestPaths.Refused.class);
    }

    @ParameterizedTest
    @ValueSource(strings = { "/admin;x", "/admin.", "/admin%20", "/a%5Cb" })
    void refusalSaysWhichFormAndWhichServersReadItDifferently(String raw) {
        RequestPaths.Refused refused = (RequestPaths.Refused) RequestPaths.normalize(raw);

        assertThat(refused.reason()).containsAnyOf("Tomcat", "IIS");
    }

    @ParameterizedTest
    @ValueSource(strings = { "/", "/admin", "/admin/", "/caf%C3%A9", "/a%20b" })
    void normalPathsAreTheirOwnNormalForm(String path) {
        assertThat(RequestPaths.isNormal(path)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = { "//admin", "/%61dmin", "/caf%c3%a9", "/./admin" })
    void pathsThatNormaliseToSomethingElseAreNotNormal(String path) {
        assertThat(RequestPaths.isNormal(path)).isFalse();
    }
}
