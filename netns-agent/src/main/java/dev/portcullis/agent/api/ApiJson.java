package dev.portcullis.agent.api;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.portcullis.agent.lifecycle.ActualWorkspace;
import dev.portcullis.agent.lifecycle.WorkspaceStatus;
import java.util.List;

/** The JSON shapes of the local API; the domain types stay free of JSON concerns. */
public final class ApiJson {

    public static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            // 1.5 Mbit/s must not become 1 silently: a number with a fraction is refused, not truncated.
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private ApiJson() {}

    /** Body of POST /v1/workspaces; address, egressMbit, ingressMbit and weight are optional. */
    public record CreateRequest(String id, String owner, String org, String address, Integer egressMbit,
            Integer ingressMbit, Integer weight) {}

    /**
     * One workspace. {@code egressMbit} is the limit in force (the agent's default when the create
     * asked for none, which {@code requestedEgressMbit} 0 says); {@code actual} is what the kernel had
     * when the agent last built or looked at it; {@code deleting} says a delete has begun. The same
     * pair for what enters the workspace: {@code ingressMbit}, {@code requestedIngressMbit}.
     * {@code ipv6Address} and {@code ipv6HostAddress} are left out when the host has no IPv6 prefix.
     * {@code weight} is the workspace's share of the host's uplink next to the others'.
     */
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
    public record Workspace(
            String id, String owner, String org, String address, String hostAddress, String namespace,
            String hostInterface, int egressMbit, int requestedEgressMbit, int ingressMbit, int requestedIngressMbit,
            int weight, String createdAt, boolean deleting,
            boolean inSync, List<String> problems, ActualWorkspace actual, String ipv6Address, String ipv6HostAddress) {

        public static Workspace of(WorkspaceStatus status) {
            var d = status.desired();
            return new Workspace(d.id().value(), d.owner(), d.org(), status.address(), status.hostAddress(),
                    status.namespace(), d.hostInterface(), status.egressMbit(), d.egressMbit(),
                    status.ingressMbit(), d.ingressMbit(), d.weight(), d.createdAt().toString(),
                    status.deleting(), status.actual().inSync(), status.actual().problems(), status.actual(),
                    status.ipv6Address(), status.ipv6HostAddress());
        }
    }

    public record Error(int status, String error) {}
}
