package dev.portcullis.agent.kernel.netlink;

/**
 * The kernel refused a netlink request (or a namespace call): names the operation and the object,
 * the errno, and the kernel's own explanation where it gave one (the extended ack), e.g. "add veth
 * pair pc1/eth0 into pcx-ws1: EEXIST (File exists): kernel says: ...".
 */
public final class NetlinkException extends RuntimeException {

    private final int errno;

    public NetlinkException(String operation, int errno, String kernelMessage) {
        super(operation + ": " + Libc.describe(errno)
                + (kernelMessage == null || kernelMessage.isBlank() ? "" : ": kernel says: " + kernelMessage.strip()));
        this.errno = errno;
    }

    public NetlinkException(String operation, String problem) {
        super(operation + ": " + problem);
        this.errno = 0;
    }

    /** The positive errno (17 for EEXIST); 0 when the problem was not an errno (a malformed answer). */
    public int errno() {
        return errno;
    }
}
