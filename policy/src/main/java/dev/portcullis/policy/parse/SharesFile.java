package dev.portcullis.policy.parse;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.portcullis.policy.OrgPolicy;
import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.PortShares;
import dev.portcullis.policy.WorkspaceId;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@code PortShares} file: the shares an owner set on the ports of one workspace.
 */
public record SharesFile(WorkspaceId workspace, PortShares shares) {

    public static final String KIND = "PortShares";

    public SharesFile {
        requireNonNull(workspace, "workspace");
        requireNonNull(shares, "shares");
    }

    /** This file as YAML that {@link PolicyParser#parseShares(String, String)} reads back to an equal value. */
    public String toYaml() {
        List<Map<String, Object>> entries = new ArrayList<>();
        for (PortShare share : shares.all()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("port", share.port());
            entry.put("level", share.level().configName());
            if (!share.users().isEmpty()) {
                entry.put("users", List.copyOf(share.users()));
            }
            if (!share.groups().isEmpty()) {
                entry.put("groups", List.copyOf(share.groups()));
            }
            if (share.expiresAt() != null) {
                entry.put("expires", share.expiresAt().toString());
            }
            if (!share.allowedOrigins().isEmpty()) {
                entry.put("allowedOrigins", share.allowedOrigins().stream().sorted().toList());
            }
            entries.add(entry);
        }
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("apiVersion", OrgPolicy.API_VERSION);
        document.put("kind", KIND);
        document.put("workspace", workspace.value());
        document.put("shares", entries);
        try {
            return new YAMLMapper().writeValueAsString(document);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("cannot write the shares of " + workspace, e);
        }
    }
}
