package dev.portcullis.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PathPrefixesTest {

    @ParameterizedTest
    @ValueSource(strings = { "/", "/admin", "/admin/", "/a/b.c/d", "/.well-known/x", "/caf%C3%A9", "/group%3Fx" })
    void acceptsPrefixesInNormalForm(String prefix) {
        assertThat(PathPrefixes.problemWith(prefix)).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = { "", "admin", "/public/../admin", "/./admin", "/admin/..", "//admin", "/a//b",
                             "/%2e%2e/admin", "/.%2E/admin", "/admin%2fusers", "/%61dmin", "/a\\b", "/a%5Cb",
                             "/a%2", "/a%zz", "/admin;x", "/admin.", "/caf%c3%a9" })
    void refusesPrefixesThatAreNotInNormalForm(String prefix) {
        assertThat(PathPrefixes.problemWith(prefix)).contains(prefix).contains("expected");
    }

    @Test
    void allowPrefixMatchesExactlyOnSegmentBoundaries() {
        assertThat(PathPrefixes.matches("/admin", "/admin")).isTrue();
        assertThat(PathPrefixes.matches("/admin", "/admin/users")).isTrue();
        assertThat(PathPrefixes.matches("/admin", "/administrator")).isFalse();
        assertThat(PathPrefixes.matches("/admin", "/adm")).isFalse();
        assertThat(PathPrefixes.matches("/metrics", "/METRICS")).isFalse();
        assertThat(PathPrefixes.matches("/metrics", "/metrics.json")).isFalse();
    }

    @Test
    void prefixEndingInSlashMatchesEverythingBelowIt() {
        assertThat(PathPrefixes.matches("/api/", "/api/v1")).isTrue();
        assertThat(PathPrefixes.matches("/api/", "/api")).isFalse();
        assertThat(PathPrefixes.matches("/", "/anything")).isTrue();
    }

    @Test
    void denyPrefixCoversEveryCaseAndSuffixThatServersRouteToIt() {
        assertThat(PathPrefixes.covers("/admin", "/ADMIN")).isTrue();
        assertThat(PathPrefixes.covers("/admin", "/Admin/users")).isTrue();
        assertThat(PathPrefixes.covers("/admin", "/admin.json")).isTrue();
        assertThat(PathPrefixes.covers("/admin", "/administrator")).isFalse();
        assertThat(PathPrefixes.covers("/admin", "/adm")).isFalse();
    }
}
