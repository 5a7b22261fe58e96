package dev.portcullis.agent.lifecycle;

import dev.portcullis.agent.workspace.WorkspaceRecord;

/** One workspace as the API shows it: desired (record, addresses, names) and actual side by side. */
public record WorkspaceStatus(
        WorkspaceRecord desired, String namespace, String address, String hostAddress, ActualWorkspace actual) {}
