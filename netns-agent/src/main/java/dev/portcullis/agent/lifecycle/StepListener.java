package dev.portcullis.agent.lifecycle;

import dev.portcullis.policy.WorkspaceId;

/** Told after each step of create; the failure-injection seam for crash tests. */
@FunctionalInterface
public interface StepListener {

    StepListener NONE = (step, id) -> {};

    void after(CreateStep step, WorkspaceId id);
}
