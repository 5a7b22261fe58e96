package dev.portcullis.store;

import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.ShareLevel;
import dev.portcullis.store.record.RouteRecord;
import dev.portcullis.store.record.RouteState;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;

/** Records and waits shared by the store tests. */
public final class Fixtures {

    public static final String POLICY = """
            apiVersion: portcullis.dev/v1
            kind: OrgPolicy
            org: acme
            sharing:
              maxLevel: public
              defaultMaxLevel: organization
            """;

    private Fixtures() {}

    /** Route number {@code seq} of workspace {@code ws}: the sequence number travels in a label. */
    public static RouteRecord route(String ws, int seq) {
        return new RouteRecord(ws, "10.213." + (seq / 250 % 250) + "." + (seq % 250 + 1), "host-1", "alice", "acme",
                Map.of("seq", Integer.toString(seq)), RouteState.RUNNING, List.of(3000), List.of());
    }

    public static RouteRecord route(String ws) {
        return route(ws, 0);
    }

    public static PortShare share(int port, ShareLevel level, String... users) {
        return new PortShare(port, level, Set.of(users), Set.of(), null);
    }

    public static void await(String what, Duration timeout, BooleanSupplier condition) {
        Awaitility.await(what).atMost(timeout).pollInterval(Duration.ofMillis(10)).until(condition::getAsBoolean);
    }
}
