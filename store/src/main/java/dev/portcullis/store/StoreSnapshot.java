package dev.portcullis.store;

import dev.portcullis.store.record.PolicyRecord;
import dev.portcullis.store.record.RouteRecord;
import dev.portcullis.store.record.ShareRecord;
import java.util.Map;

/**
 * Every valid record at one store revision, each with its own revision for compare-and-swap.
 * Invalid records are not in it (see {@link SkippedRecords}).
 *
 * @param shares by key ({@code /portcullis/v1/shares/<ws>/<port>})
 */
public record StoreSnapshot(long revision, Map<String, Versioned<RouteRecord>> routes,
                            Map<String, Versioned<ShareRecord>> shares, Map<String, Versioned<PolicyRecord>> policies) {
    public StoreSnapshot {
        routes = Map.copyOf(routes);
        shares = Map.copyOf(shares);
        policies = Map.copyOf(policies);
    }
}
