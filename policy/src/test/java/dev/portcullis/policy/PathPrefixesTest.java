package dev.portcullis.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PathPrefixesTest {

    @ParameterizedTest
    @ValueSource(strings = { "/", "/admin", "/admin/", "/a/b.c/d", "/.well-known/x", "/caf%C3%A9", "/a/...",
                             "/group%3Fx" })
    void acceptsNormalizedPaths(String path) {
        assertThat(PathPrefixes.isNormalized(path)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = { "", "admin", "/public/../admin", "/./admin", "/admin/..", "//admin", "/a//b",
                             "/%2e%2e/admin", "/.%2E/admin", "/admin%2fusers", "/%61dmin", "/a\\b", "/a%5Cb",
                             "/a%2", "/a%zz" })
    void rejectsPathsThatCouldMeanSomethingElseToTheWorkspace(String path) {
        assertThat(PathPrefixes.isNormalized(path)).isFalse();
    }

    @Test
    void prefixMatchesOnSegmentBoundaries() {
        assertThat(PathPrefixes.matches("/admin", "/admin")).isTrue();
        assertThat(PathPrefixes.matches("/admin", "/admin/users")).isTrue();
        assertThat(PathPrefixes.matches("/admin", "/administrator")).isFalse();
        assertThat(PathPrefixes.matches("/admin", "/adm")).isFalse();
    }

    @Test
    void prefixEndingInSlashMatchesEverythingBelowIt() {
        assertThat(PathPrefixes.matches("/api/", "/api/v1")).isTrue();
        assertThat(PathPrefixes.matches("/api/", "/api")).isFalse();
        assertThat(PathPrefixes.matches("/", "/anything")).isTrue();
    }
}
