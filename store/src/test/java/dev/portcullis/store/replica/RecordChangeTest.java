package dev.portcullis.store.replica;

import static dev.portcullis.store.Fixtures.route;
import static dev.portcullis.store.Fixtures.share;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.store.record.RouteRecord;
import dev.portcullis.store.record.RouteState;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RecordChangeTest {

    @Test
    void aNewWorkspaceOrAWiderShareNarrowsNothing() {
        assertThat(new RecordChange.RouteChange("ws1", null, route("ws1")).mayNarrowAccess()).isFalse();
        assertThat(new RecordChange.ShareChange("ws1", 3000, share(3000, ShareLevel.USERS, "bob"),
                share(3000, ShareLevel.ORGANIZATION, "bob")).mayNarrowAccess()).isFalse();
        assertThat(new RecordChange.ShareChange("ws1", 3000, null, share(3000, ShareLevel.PUBLIC)).mayNarrowAccess()).isFalse();
    }

    @Test
    void aDeletedStoppedOrMovedWorkspaceMayNarrowAccess() {
        RouteRecord before = route("ws1");
        RouteRecord stopped = new RouteRecord("ws1", before.address(), before.host(), before.owner(), before.org(),
                before.labels(), RouteState.STOPPED, before.ports(), before.tlsPorts());
        RouteRecord newOwner = new RouteRecord("ws1", before.address(), before.host(), "mallory", before.org(),
                before.labels(), RouteState.RUNNING, before.ports(), before.tlsPorts());

        assertThat(new RecordChange.RouteChange("ws1", before, null).mayNarrowAccess()).isTrue();
        assertThat(new RecordChange.RouteChange("ws1", before, stopped).mayNarrowAccess()).isTrue();
        assertThat(new RecordChange.RouteChange("ws1", before, newOwner).mayNarrowAccess()).isTrue();
        assertThat(new RecordChange.RouteChange("ws1", before, new RouteRecord("ws1", before.address(), before.host(),
                before.owner(), before.org(), before.labels(), RouteState.RUNNING, List.of(1, 2), List.of()))
                .mayNarrowAccess()).as("only declared ports changed").isFalse();
        assertThat(new RecordChange.RouteChange("ws1", before, new RouteRecord("ws1", before.address(), before.host(),
                before.owner(), before.org(), Map.of("env", "prod"), RouteState.RUNNING, before.ports(), before.tlsPorts()))
                .mayNarrowAccess()).as("labels feed deny rules").isTrue();
    }

    @Test
    void aWorkspaceWhoseAddressOrTlsPortsChangedMayNarrowAccess() {
        RouteRecord before = route("ws1");
        RouteRecord moved = new RouteRecord("ws1", "10.213.9.9", "host-2", before.owner(), before.org(),
                before.labels(), RouteState.RUNNING, before.ports(), before.tlsPorts());
        RouteRecord nowTls = new RouteRecord("ws1", before.address(), before.host(), before.owner(), before.org(),
                before.labels(), RouteState.RUNNING, before.ports(), List.of(8443));

        assertThat(new RecordChange.RouteChange("ws1", before, moved).mayNarrowAccess()).isTrue();
        assertThat(new RecordChange.RouteChange("ws1", before, nowTls).mayNarrowAccess()).isTrue();
    }

    @Test
    void aLowerLevelFewerUsersOrEarlierExpiryMayNarrowAccess() {
        PortShare users = share(3000, ShareLevel.USERS, "bob", "carol");

        assertThat(new RecordChange.ShareChange("ws1", 3000, share(3000, ShareLevel.ORGANIZATION), share(3000, ShareLevel.OWNER))
                .mayNarrowAccess()).isTrue();
        assertThat(new RecordChange.ShareChange("ws1", 3000, users, share(3000, ShareLevel.USERS, "bob")).mayNarrowAccess()).isTrue();
        assertThat(new RecordChange.ShareChange("ws1", 3000, users, new PortShare(3000, ShareLevel.USERS, Set.of("bob", "carol"),
                Set.of(), Instant.parse("2099-01-01T00:00:00Z"))).mayNarrowAccess()).isTrue();
        assertThat(new RecordChange.ShareChange("ws1", 3000, users, null).mayNarrowAccess()).isTrue();
    }

    @Test
    void anyPolicyChangeMayNarrowAccess() {
        assertThat(new RecordChange.PolicyChange("acme", null, null).mayNarrowAccess()).isTrue();
    }
}
