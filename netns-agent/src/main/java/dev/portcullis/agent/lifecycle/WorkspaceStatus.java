package dev.portcullis.agent.lifecycle;

import dev.portcullis.agent.workspace.WorkspaceRecord;

/**
 * One workspace as the API shows it: desired (record, addresses, names) and actual side by side.
 *
 * @param egressMbit the limit in force: the record's, or the agent's default when the record asks for none
 * @param ingressMbit the same for what enters the workspace
 * @param deleting a delete has begun and not yet finished
 */
public record WorkspaceStatus(
        WorkspaceRecord desired, String namespace, String address, String hostAddress, int egressMbit, int ingressMbit,
        boolean deleting,
        ActualWorkspace actual) {}
