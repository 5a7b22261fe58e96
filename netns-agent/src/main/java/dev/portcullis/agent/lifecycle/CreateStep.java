package dev.portcullis.agent.lifecycle;

/** The steps of create, in order. Tests stop the agent after any of them to prove crash safety. */
public enum CreateStep {
    DESIRED_STATE_SAVED,
    NAMESPACE_ADDED,
    VETH_ADDED,
    ADDRESSES_SET,
    SYSCTLS_SET,
    NFTABLES_ELEMENTS_ADDED,
    EGRESS_SHAPED,
    ROUTE_PUBLISHED
}
