package dev.portcullis.agent.lifecycle;

/** The steps of create, in order. Tests stop the agent after any of them to prove crash safety. */
public enum CreateStep {
    DESIRED_STATE_SAVED,
    /** The namespace, the veth pair with its workspace end made inside it, the host end addressed and up: one process. */
    HOST_SIDE_SET,
    /** Inside the namespace: eth0 addressed and up, lo up, the default route: one process. */
    WORKSPACE_SIDE_SET,
    /** Before the sysctls that switch forwarding on for the link: filtered from its first forwarded packet. */
    NFTABLES_ELEMENTS_ADDED,
    SYSCTLS_SET,
    EGRESS_SHAPED,
    /** On the host end of the veth, whose egress is what enters the workspace: one process. */
    INGRESS_SHAPED,
    /** The workspace's class on the host's uplink (only with {@code uplink:} in the config); every class's rate follows. */
    UPLINK_SHAPED,
    ROUTE_PUBLISHED
}
