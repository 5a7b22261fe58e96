package dev.portcullis.gateway.config;

/**
 * Bounds on connections to workspaces (each one a file descriptor of the gateway), so streams whose
 * request bodies never end cannot take every descriptor the process has (issue 17, item 1). A
 * request holds one workspace connection from the moment it needs one until its response ended (or
 * its tunnel closed); idle pooled connections count only against the descriptor budget.
 *
 * @param perClientConnection   workspace connections one client connection holds at once (its
 *                              HTTP/2 streams; HTTP/1.1 holds at most one)
 * @param perPrincipal          held by one principal at once, on all its connections (the verified
 *                              user; without access control, or anonymous, the client's IP address)
 * @param perWorkspace          held for one workspace at once, by everyone
 * @param maxFileDescriptors    the gateway's descriptor budget; 0 takes the process limit ({@code ulimit -n})
 * @param fileDescriptorReserve descriptors kept for accepting client connections and answering them:
 *                              a new workspace connection that would eat into it is refused (503);
 *                              0 takes a tenth of the budget, at least {@value #MIN_RESERVE}
 */
public record WorkspaceConnectionLimits(int perClientConnection, int perPrincipal, int perWorkspace,
                                        long maxFileDescriptors, long fileDescriptorReserve) {
    public static final int MIN_RESERVE = 64;
    public static final WorkspaceConnectionLimits DEFAULTS = new WorkspaceConnectionLimits(64, 256, 1024, 0, 0);

    public WorkspaceConnectionLimits {
        atLeastOne("limits.maxWorkspaceConnectionsPerClientConnection", perClientConnection);
        atLeastOne("limits.maxWorkspaceConnectionsPerPrincipal", perPrincipal);
        atLeastOne("limits.maxWorkspaceConnectionsPerWorkspace", perWorkspace);
        if (maxFileDescriptors < 0) {
            throw new IllegalArgumentException("limits.maxFileDescriptors: " + maxFileDescriptors
                    + " (expected: >= 0, 0 for the process limit)");
        }
        if (fileDescriptorReserve < 0) {
            throw new IllegalArgumentException("limits.fileDescriptorReserve: " + fileDescriptorReserve
                    + " (expected: >= 0, 0 for a tenth of the budget)");
        }
        if (maxFileDescriptors > 0 && fileDescriptorReserve >= maxFileDescriptors) {
            throw new IllegalArgumentException("limits.fileDescriptorReserve: " + fileDescriptorReserve
                    + " (expected: below limits.maxFileDescriptors, " + maxFileDescriptors + ")");
        }
    }

    private static void atLeastOne(String key, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(key + ": " + value + " (expected: >= 1)");
        }
    }

    /** The reserve for a budget of {@code budget} descriptors: the configured one, or a tenth, at least {@value #MIN_RESERVE}. */
    public long reserveFor(long budget) {
        return fileDescriptorReserve > 0 ? fileDescriptorReserve : Math.max(MIN_RESERVE, budget / 10);
    }
}
