package dev.portcullis.policy;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * An admin's maximum share level for some ports, replacing the org's default maximum there: it can
 * lower it ({@code 22, 5432 -> owner}) or raise it ({@code 3000-3999 -> public}), but never past the
 * org-wide {@link OrgPolicy#maxLevel()}.
 */
public record PortRule(String name, List<PortRange> ports, ShareLevel maxLevel) {

    public PortRule {
        RuleNames.check(name);
        ports = List.copyOf(requireNonNull(ports, "ports"));
        requireNonNull(maxLevel, "maxLevel");
        if (ports.isEmpty()) {
            throw new IllegalArgumentException("port rule " + name + ": ports: [] (expected: at least one port)");
        }
    }

    public boolean covers(int port) {
        for (PortRange range : ports) {
            if (range.contains(port)) {
                return true;
            }
        }
        return false;
    }
}
