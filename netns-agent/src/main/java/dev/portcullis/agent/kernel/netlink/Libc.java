package dev.portcullis.agent.kernel.netlink;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The few libc calls netlink and namespaces need, through JNA (hand-declared: a dozen calls, no
 * header to generate them from; the project's language level, 21, has no final FFM API). Direct
 * mapping (native methods bound by {@link Native#register}), not an interface proxy: a create makes
 * twenty or more of these calls, and the proxy's reflective dispatch and argument conversion were 9%
 * of a creating thread's CPU in a burst of creates.
 */
final class Libc {

    static final int AF_NETLINK = 16;
    static final int SOCK_RAW = 3;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1;
    static final int SO_RCVTIMEO = 20;
    static final int SO_SNDTIMEO = 21;
    static final int SO_RCVBUF = 8;
    static final int SOL_NETLINK = 270;
    static final int NETLINK_CAP_ACK = 10;
    static final int NETLINK_EXT_ACK = 11;
    static final int NETLINK_GET_STRICT_CHK = 12;
    static final int CLONE_NEWNET = 0x40000000;
    static final int O_RDONLY = 0;
    static final int O_CREAT = 0x40;
    static final int O_EXCL = 0x80;
    static final int O_CLOEXEC = 0x80000;
    static final long MS_BIND = 4096;
    static final long MS_REC = 16384;
    static final long MS_SHARED = 1 << 20;
    static final int MNT_DETACH = 2;
    static final int EINVAL = 22;
    static final int ENOENT = 2;
    static final int EEXIST = 17;

    native int socket(int domain, int type, int protocol) throws LastErrorException;

    native int setsockopt(int fd, int level, int name, byte[] value, int length) throws LastErrorException;

    native long send(int fd, byte[] buffer, long length, int flags) throws LastErrorException;

    native long recv(int fd, Pointer buffer, long length, int flags) throws LastErrorException;

    native int close(int fd) throws LastErrorException;

    native int open(String path, int flags, int mode) throws LastErrorException;

    native int setns(int fd, int nstype) throws LastErrorException;

    native int unshare(int flags) throws LastErrorException;

    native int mount(String source, String target, String type, long flags, Pointer data) throws LastErrorException;

    native int umount2(String target, int flags) throws LastErrorException;

    static final int PRIO_PROCESS = 0;

    /** With {@link #gettid()} as {@code who}: one thread's nice value (Linux keeps it per thread). */
    native int setpriority(int which, int who, int prio) throws LastErrorException;

    native int gettid();

    native String strerror(int errno);

    /** Loaded once; null (and {@link #UNAVAILABLE} says why) where JNA cannot load libc. */
    static final class Holder {
        static final Libc LIBC;
        static final String UNAVAILABLE;

        static {
            Libc libc = null;
            String why = null;
            try {
                Native.register(Libc.class, "c");
                libc = new Libc();
            } catch (LinkageError | RuntimeException e) {
                why = "JNA cannot load libc: " + e.getMessage();
            }
            LIBC = libc;
            UNAVAILABLE = why;
        }

        private Holder() {}
    }

    private Libc() {}

    static Libc get() {
        if (Holder.LIBC == null) {
            throw new IllegalStateException(Holder.UNAVAILABLE);
        }
        return Holder.LIBC;
    }

    /** "EEXIST (File exists)" for 17. */
    static String describe(int errno) {
        String name = switch (errno) {
            case 1 -> "EPERM";
            case 2 -> "ENOENT";
            case 16 -> "EBUSY";
            case 17 -> "EEXIST";
            case 19 -> "ENODEV";
            case 22 -> "EINVAL";
            case 34 -> "ERANGE";
            case 95 -> "EOPNOTSUPP";
            case 99 -> "EADDRNOTAVAIL";
            default -> "errno " + errno;
        };
        return Holder.LIBC == null ? name : name + " (" + Holder.LIBC.strerror(errno) + ")";
    }
}
