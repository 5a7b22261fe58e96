package dev.portcullis.agent.kernel.netlink;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The few libc calls netlink and namespaces need, through JNA (hand-declared: a dozen calls, no
 * header to generate them from; the project's language level, 21, has no final FFM API).
 */
interface Libc extends Library {

    int AF_NETLINK = 16;
    int SOCK_RAW = 3;
    int SOCK_CLOEXEC = 0x80000;
    int SOL_SOCKET = 1;
    int SO_RCVTIMEO = 20;
    int SO_SNDTIMEO = 21;
    int SO_RCVBUF = 8;
    int SOL_NETLINK = 270;
    int NETLINK_CAP_ACK = 10;
    int NETLINK_EXT_ACK = 11;
    int NETLINK_GET_STRICT_CHK = 12;
    int CLONE_NEWNET = 0x40000000;
    int O_RDONLY = 0;
    int O_CREAT = 0x40;
    int O_EXCL = 0x80;
    int O_CLOEXEC = 0x80000;
    long MS_BIND = 4096;
    long MS_REC = 16384;
    long MS_SHARED = 1 << 20;
    int MNT_DETACH = 2;
    int EINVAL = 22;
    int ENOENT = 2;
    int EEXIST = 17;

    int socket(int domain, int type, int protocol) throws LastErrorException;

    int setsockopt(int fd, int level, int name, byte[] value, int length) throws LastErrorException;

    long send(int fd, byte[] buffer, long length, int flags) throws LastErrorException;

    long recv(int fd, Pointer buffer, long length, int flags) throws LastErrorException;

    int close(int fd) throws LastErrorException;

    int open(String path, int flags, int mode) throws LastErrorException;

    int setns(int fd, int nstype) throws LastErrorException;

    int unshare(int flags) throws LastErrorException;

    int mount(String source, String target, String type, long flags, Pointer data) throws LastErrorException;

    int umount2(String target, int flags) throws LastErrorException;

    int PRIO_PROCESS = 0;

    /** With {@link #gettid()} as {@code who}: one thread's nice value (Linux keeps it per thread). */
    int setpriority(int which, int who, int prio) throws LastErrorException;

    int gettid();

    String strerror(int errno);

    /** Loaded once; null (and {@link #UNAVAILABLE} says why) where JNA cannot load libc. */
    final class Holder {
        static final Libc LIBC;
        static final String UNAVAILABLE;

        static {
            Libc libc = null;
            String why = null;
            try {
                libc = Native.load("c", Libc.class);
            } catch (LinkageError | RuntimeException e) {
                why = "JNA cannot load libc: " + e.getMessage();
            }
            LIBC = libc;
            UNAVAILABLE = why;
        }

        private Holder() {}
    }

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
