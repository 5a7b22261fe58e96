package dev.portcullis.agent.lifecycle;

import java.util.ArrayList;
import java.util.List;

/**
 * What the kernel has for one workspace, part by part, next to what it should have.
 *
 * @param hostSysctlsWrong the host end's sysctls that differ, as "key=actual (expected: value)"
 */
public record ActualWorkspace(
        boolean namespace,
        boolean hostLink,
        boolean hostLinkUp,
        boolean workspaceLink,
        boolean hostAddress,
        boolean workspaceAddress,
        boolean defaultRoute,
        boolean nftablesElements,
        List<String> hostSysctlsWrong,
        String egress,
        String expectedEgress,
        String ingress,
        String expectedIngress) {

    public ActualWorkspace {
        hostSysctlsWrong = List.copyOf(hostSysctlsWrong);
    }

    public boolean inSync() {
        return problems().isEmpty();
    }

    /** The parts that differ from the desired state, in words for logs and status. */
    public List<String> problems() {
        List<String> problems = new ArrayList<>();
        if (!namespace) problems.add("namespace missing");
        if (!hostLink) problems.add("host link missing");
        if (hostLink && !hostLinkUp) problems.add("host link down");
        if (!workspaceLink) problems.add("eth0 missing in namespace");
        if (!hostAddress) problems.add("host address missing");
        if (!workspaceAddress) problems.add("workspace address missing");
        if (!defaultRoute) problems.add("default route missing");
        if (!nftablesElements) problems.add("nftables elements missing");
        if (!hostSysctlsWrong.isEmpty()) problems.add("host end sysctls wrong: " + String.join(", ", hostSysctlsWrong));
        if (!egress.equals(expectedEgress)) problems.add("egress is '" + egress + "', expected '" + expectedEgress + "'");
        if (!ingress.equals(expectedIngress)) problems.add("ingress is '" + ingress + "', expected '" + expectedIngress + "'");
        return problems;
    }
}
