package dev.portcullis.policy.parse;

import static java.util.Objects.requireNonNull;

import dev.portcullis.policy.PortShares;
import dev.portcullis.policy.WorkspaceId;

/**
 * A {@code PortShares} file: the shares an owner set on the ports of one workspace.
 */
public record SharesFile(WorkspaceId workspace, PortShares shares) {

    public static final String KIND = "PortShares";

    public SharesFile {
        requireNonNull(workspace, "workspace");
        requireNonNull(shares, "shares");
    }
}
