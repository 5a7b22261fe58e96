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
            .enable(SerializationFeature.INDENT_OUTPUT);

    private ApiJson() {}

    /** Body of POST /v1/workspaces; address and egressMbit are optional. */
    public record CreateRequest(String id, String owner, String org, String address, Integer egressMbit) {}

    public record Workspace(
            String id, String owner, String org, String address, String hostAddress, String namespace,
            String hostInterface, int egressMbit, String createdAt, boolean inSync, List<String> problems,
            ActualWorkspace actual) {

        static Workspace of(WorkspaceStatus status) {
            var d = status.desired();
            return new Workspace(d.id().value(), d.owner(), d.org(), status.address(), status.hostAddress(),
                    status.namespace(), d.hostInterface(), d.egressMbit(), d.createdAt().toString(),
                    status.actual().inSync(), status.actual().problems(), status.actual());
        }
    }

    public record Error(int status, String error) {}
}
