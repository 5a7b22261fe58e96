package dev.portcullis.agent.workspace;

import dev.portcullis.policy.WorkspaceId;
import static java.util.Objects.requireNonNull;

import dev.portcullis.agent.address.Ipv4Address;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What the workspace runtime asks for. {@code address} is optional: without it the agent picks the
 * lowest free slot. {@code egressMbit} and {@code ingressMbit} 0 mean "the agent's default".
 */
public record WorkspaceSpec(
        WorkspaceId id, String owner, String org, Optional<Ipv4Address> address, int egressMbit, int ingressMbit) {

    private static final Pattern PRINCIPAL = Pattern.compile("[A-Za-z0-9._@:+-]{1,128}");

    public WorkspaceSpec {
        requireNonNull(id, "id");
        requireNonNull(address, "address");
        checkPrincipal("owner", owner);
        checkPrincipal("org", org);
        if (egressMbit < 0 || egressMbit > 100_000) {
            throw new IllegalArgumentException("egressMbit: " + egressMbit + " (expected: 0-100000, 0 = agent default)");
        }
        if (ingressMbit < 0 || ingressMbit > 100_000) {
            throw new IllegalArgumentException("ingressMbit: " + ingressMbit + " (expected: 0-100000, 0 = agent default)");
        }
    }

    /** Ingress at the agent's default. */
    public WorkspaceSpec(WorkspaceId id, String owner, String org, Optional<Ipv4Address> address, int egressMbit) {
        this(id, owner, org, address, egressMbit, 0);
    }

    private static void checkPrincipal(String field, String value) {
        if (value == null || !PRINCIPAL.matcher(value).matches()) {
            throw new IllegalArgumentException(field + ": " + (value == null ? "null" : "'" + value + "'")
                    + " (expected: 1-128 of A-Z, a-z, 0-9 and ._@:+-)");
        }
    }
}
