package dev.portcullis.agent.kernel.netlink;

import static java.util.Objects.requireNonNull;

import com.sun.jna.LastErrorException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Named network namespaces the way {@code ip netns} keeps them: a namespace stays alive because its
 * handle is bind-mounted on {@code /run/netns/NAME}. Creating one needs a thread inside it, and
 * setns(2) and unshare(2) move only the calling thread: so one of a few namespace workers does it,
 * opens a netlink socket there (which keeps talking to that namespace, see {@link NetlinkSocket}),
 * and goes back to the host's namespace, confirming it is there before it takes the next task (see
 * {@link #onWorker}). The agent's other threads never change namespace.
 */
public final class NetworkNamespaces {

    public static final Path RUN_DIR = Path.of("/run/netns");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private static final Pattern SYSCTL_KEY = Pattern.compile("net(\\.[a-z0-9_]+)+");
    private static final Pattern SYSCTL_VALUE = Pattern.compile("-?[0-9]+");
    private static final Duration DEADLINE = Duration.ofSeconds(20);
    private static final int WORKER_COUNT = Math.max(4, Runtime.getRuntime().availableProcessors() * 2);
    private static final Object RUN_DIR_SETUP = new Object();
    private static final int BACKGROUND_NICE = 19;
    private static volatile boolean runDirShared;

    private NetworkNamespaces() {}

    /** Empty when this JVM can do all of this itself; else why not. */
    public static java.util.Optional<String> unavailable() {
        return java.util.Optional.ofNullable(Libc.Holder.UNAVAILABLE);
    }

    public static Path handle(String name) {
        return RUN_DIR.resolve(checkName(name));
    }

    public static boolean exists(String name) {
        return Files.exists(handle(name));
    }

    /** The names under /run/netns, as {@code ip netns list} shows them. */
    public static List<String> list() {
        if (!Files.isDirectory(RUN_DIR)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(RUN_DIR)) {
            return new ArrayList<>(files.map(f -> f.getFileName().toString()).sorted().toList());
        } catch (IOException e) {
            throw new NetlinkException("list " + RUN_DIR, e.toString());
        }
    }

    /**
     * Creates the namespace {@code name} as {@code ip netns add} does and returns a netlink socket
     * inside it. EEXIST when the name is taken; nothing is left behind when it fails.
     */
    public static NetlinkSocket create(String name) {
        return create(name, Map.of());
    }

    /**
     * As {@link #create(String)}, and sets the namespace's own sysctls ({@code net.ipv6.conf.all.disable_ipv6}
     * …, keys the kernel lacks skipped) from the thread that made it, before anything else is in it: no
     * second thread has to enter it for them, a link made in it later starts from its {@code default}
     * values, and {@code all} values change only {@code lo}. /proc/sys/net shows the namespace of the
     * thread that opens a file, which here is the new one.
     */
    public static NetlinkSocket create(String name, Map<String, String> sysctls) {
        return create(name, sysctls, false);
    }

    /**
     * As {@link #create(String, Map)}; {@code background}: the worker that makes it runs at the lowest
     * CPU priority meanwhile (nice 19), so making a namespace ahead of demand yields the cores to the
     * creates that answer a caller.
     */
    public static NetlinkSocket create(String name, Map<String, String> sysctls, boolean background) {
        requireNonNull(sysctls, "sysctls");
        sysctls.forEach((key, value) -> {
            if (!SYSCTL_KEY.matcher(key).matches() || !SYSCTL_VALUE.matcher(value).matches()) {
                throw new IllegalArgumentException("sysctl: " + key + "=" + value + " (expected: a dotted net.* key and a number)");
            }
        });
        Path handle = handle(name);
        String operation = "create network namespace " + name;
        Libc libc = Libc.get();
        shareRunDir(libc);
        int fd;
        try {
            fd = libc.open(handle.toString(), Libc.O_RDONLY | Libc.O_CREAT | Libc.O_EXCL | Libc.O_CLOEXEC, 0);
        } catch (LastErrorException e) {
            throw new NetlinkException(operation + " (its handle " + handle + ")", e.getErrorCode(), null);
        }
        libc.close(fd);
        try {
            return onWorker(operation, () -> {
                if (background) {
                    niceness(libc, BACKGROUND_NICE);
                }
                try {
                    return makeHere(libc, name, handle, operation, sysctls);
                } finally {
                    if (background) {
                        niceness(libc, 0);
                    }
                }
            });
        } catch (RuntimeException e) {
            try {
                Files.deleteIfExists(handle);
            } catch (IOException undo) {
                e.addSuppressed(undo);
            }
            throw e;
        }
    }

    /** On a namespace worker: unshare, bind mount, the namespace's own sysctls, a socket inside. */
    private static NetlinkSocket makeHere(Libc libc, String name, Path handle, String operation,
            Map<String, String> sysctls) {
        try {
            libc.unshare(Libc.CLONE_NEWNET);
        } catch (LastErrorException e) {
            throw new NetlinkException(operation + ": unshare(CLONE_NEWNET)", e.getErrorCode(), null);
        }
        try {
            libc.mount("/proc/thread-self/ns/net", handle.toString(), "none", Libc.MS_BIND, null);
        } catch (LastErrorException e) {
            throw new NetlinkException(operation + ": bind mount on " + handle, e.getErrorCode(), null);
        }
        for (Map.Entry<String, String> sysctl : sysctls.entrySet()) {
            Path file = Path.of("/proc/sys", sysctl.getKey().replace('.', '/'));
            try {
                // Written only when it differs: some handlers take the kernel's network lock for any write.
                if (Files.exists(file) && !Files.readString(file).strip().equals(sysctl.getValue())) {
                    Files.writeString(file, sysctl.getValue());
                }
            } catch (IOException e) {
                throw new NetlinkException(operation + ": set " + sysctl.getKey() + "=" + sysctl.getValue()
                        + " inside it", e.toString());
            }
        }
        return NetlinkSocket.open("namespace " + name);
    }

    /** Sets the calling thread's nice value; a failure costs only priority, so it is not an error. */
    private static void niceness(Libc libc, int nice) {
        try {
            libc.setpriority(Libc.PRIO_PROCESS, libc.gettid(), nice);
        } catch (LastErrorException | UnsatisfiedLinkError e) {
            // a libc without gettid, or no CAP_SYS_NICE to go back to 0: the worker keeps its priority
        }
    }

    /**
     * Gives the namespace {@code from} the second name {@code to}: its handle bind-mounted there, as
     * {@code ip netns add} mounts a new one (rename(2) refuses a mount point, and MS_MOVE a mount under
     * the shared /run/netns). The caller then deletes {@code from}; a namespace lives as long as one
     * of its names, so a crash between the two leaves both names on one namespace, and deleting
     * either leaves it to the other. EEXIST when {@code to} is taken; nothing is left behind when it fails.
     */
    public static void addName(String from, String to) {
        Path source = handle(from);
        Path target = handle(to);
        String operation = "name network namespace " + from + " as " + to;
        Libc libc = Libc.get();
        shareRunDir(libc);
        int fd;
        try {
            fd = libc.open(target.toString(), Libc.O_RDONLY | Libc.O_CREAT | Libc.O_EXCL | Libc.O_CLOEXEC, 0);
        } catch (LastErrorException e) {
            throw new NetlinkException(operation + " (its handle " + target + ")", e.getErrorCode(), null);
        }
        libc.close(fd);
        try {
            libc.mount(source.toString(), target.toString(), "none", Libc.MS_BIND, null);
        } catch (LastErrorException e) {
            try {
                Files.deleteIfExists(target);
            } catch (IOException undo) {
                // the next create of that name finds a half-made handle and replaces it (see halfMade)
            }
            throw new NetlinkException(operation + ": bind mount " + source + " on " + target, e.getErrorCode(), null);
        }
    }

    /**
     * True when the handle of {@code name} is there but no namespace is mounted on it: an agent was
     * stopped between making the handle and mounting the namespace on it (it is a plain empty file on
     * /run/netns's own file system, where a namespace's handle is on nsfs). Such a handle cannot be
     * entered; {@link #delete} removes it.
     */
    public static boolean halfMade(String name) {
        Path handle = handle(name);
        try {
            return Files.getAttribute(handle, "unix:dev").equals(Files.getAttribute(RUN_DIR, "unix:dev"));
        } catch (IOException e) {
            return false; // no handle at all
        }
    }

    /** A netlink socket inside the existing namespace {@code name}; ENOENT when there is none. */
    public static NetlinkSocket open(String name) {
        return inside(name, "enter network namespace " + name, () -> NetlinkSocket.open("namespace " + name));
    }

    /** Runs {@code work} on a namespace worker that entered the existing namespace {@code name}. */
    static <T> T inside(String name, String operation, Supplier<T> work) {
        Path handle = handle(name);
        Libc libc = Libc.get();
        return onWorker(operation, () -> {
            enter(libc, handle, operation);
            return work.get();
        });
    }

    /** Removes the handle as {@code ip netns delete} does; the kernel frees the namespace once nothing uses it. */
    public static void delete(String name) {
        Path handle = handle(name);
        Libc libc = Libc.get();
        try {
            libc.umount2(handle.toString(), Libc.MNT_DETACH);
        } catch (LastErrorException e) {
            if (e.getErrorCode() != Libc.EINVAL) { // EINVAL: not a mount point (a half-made namespace)
                throw new NetlinkException("delete network namespace " + name + ": unmount " + handle, e.getErrorCode(), null);
            }
        }
        try {
            Files.delete(handle);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new NetlinkException("delete network namespace " + name, Libc.ENOENT, null);
        } catch (IOException e) {
            throw new NetlinkException("delete network namespace " + name + ": remove " + handle, e.toString());
        }
    }

    /** An fd of the namespace's handle, for a link created straight into it (IFLA_NET_NS_FD); the caller closes it. */
    static int openHandle(String name) {
        try {
            return Libc.get().open(handle(name).toString(), Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        } catch (LastErrorException e) {
            throw new NetlinkException("open network namespace " + name, e.getErrorCode(), null);
        }
    }

    static void closeFd(int fd) {
        Libc.get().close(fd);
    }

    private static void enter(Libc libc, Path handle, String operation) {
        int fd;
        try {
            fd = libc.open(handle.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        } catch (LastErrorException e) {
            throw new NetlinkException(operation + " (open " + handle + ")", e.getErrorCode(), null);
        }
        try {
            libc.setns(fd, Libc.CLONE_NEWNET);
        } catch (LastErrorException e) {
            throw new NetlinkException(operation + ": setns", e.getErrorCode(), null);
        } finally {
            libc.close(fd);
        }
        // Whatever this thread does next must never reach the host's namespace: check where it is.
        try {
            String here = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
            Object wanted = Files.getAttribute(handle, "unix:ino");
            if (!here.equals("net:[" + wanted + "]")) {
                throw new NetlinkException(operation, "after setns this thread is in " + here + " (expected: net:["
                        + wanted + "]); nothing was done");
            }
        } catch (IOException e) {
            throw new NetlinkException(operation, "cannot confirm the namespace after setns: " + e);
        }
    }

    /**
     * /run/netns as a shared mount point, once per process, as {@code ip netns add} makes it: a handle
     * mounted there then shows in every mount namespace (a workspace's processes started with {@code ip
     * netns exec} see the others' handles go away when they are deleted).
     */
    private static void shareRunDir(Libc libc) {
        if (runDirShared) {
            return;
        }
        synchronized (RUN_DIR_SETUP) {
            if (runDirShared) {
                return;
            }
            try {
                Files.createDirectories(RUN_DIR);
            } catch (IOException e) {
                throw new NetlinkException("create " + RUN_DIR, e.toString());
            }
            boolean madeMountPoint = false;
            while (true) {
                try {
                    libc.mount("", RUN_DIR.toString(), "none", Libc.MS_SHARED | Libc.MS_REC, null);
                    break;
                } catch (LastErrorException e) {
                    if (e.getErrorCode() != Libc.EINVAL || madeMountPoint) {
                        throw new NetlinkException("make " + RUN_DIR + " a shared mount", e.getErrorCode(), null);
                    }
                }
                try {
                    libc.mount(RUN_DIR.toString(), RUN_DIR.toString(), "none", Libc.MS_BIND | Libc.MS_REC, null);
                } catch (LastErrorException e) {
                    throw new NetlinkException("bind mount " + RUN_DIR + " on itself", e.getErrorCode(), null);
                }
                madeMountPoint = true;
            }
            runDirShared = true;
        }
    }

    /**
     * Runs {@code work} on one of a few long-lived namespace workers, which may enter or make a
     * namespace, and afterwards go back to the host's namespace (the process's own) by its handle,
     * opened once. A worker that cannot confirm it is back
     * ({@code /proc/thread-self/ns/net} is the host's inode) ends, and the pool starts a new one, so
     * no task ever starts anywhere but in the host's namespace.
     *
     * <p>Why a pool and not a thread per entry (as before): starting and ending a platform thread
     * takes the JVM's thread-list lock, and with 20 creates or 4 reconcile lookers at once the wall
     * clock profile showed more than half of a reconcile look and 14% of a concurrent create waiting
     * for that lock in {@code Thread.start} (docs/benchmarks.md, netns churn).
     */
    static <T> T onWorker(String operation, Supplier<T> work) {
        HostNamespace host = HostNamespace.get();
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            WORKERS.execute(() -> {
                try {
                    host.requireHere(operation); // a worker never starts a task outside the host's namespace
                    result.complete(work.get());
                } catch (Throwable e) {
                    result.completeExceptionally(e);
                } finally {
                    host.returnHere(); // throws when it cannot: the worker ends, a new one replaces it
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            throw new NetlinkException(operation, "no namespace worker: " + e.getMessage());
        }
        try {
            return result.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException runtime ? runtime
                    : new NetlinkException(operation, e.getCause().toString());
        } catch (TimeoutException e) {
            throw new NetlinkException(operation, "took longer than " + DEADLINE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NetlinkException(operation, "interrupted");
        }
    }

    /** The namespace workers: a few platform threads that live as long as the agent. */
    private static final java.util.concurrent.ExecutorService WORKERS = new java.util.concurrent.ThreadPoolExecutor(
            WORKER_COUNT, WORKER_COUNT, 60, TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(),
            runnable -> Thread.ofPlatform().daemon().name("netns worker").unstarted(runnable));

    /**
     * Throws unless the calling thread is in the host's network namespace: before anything that would
     * otherwise belong to whichever namespace the thread is in for its whole life (a host socket).
     */
    static void requireHost(String operation) {
        HostNamespace.get().requireHere(operation);
    }

    /**
     * The host's network namespace, a handle and its inode: the process's own, the namespace of its
     * first thread ({@code /proc/self}), which the JVM's launcher keeps waiting for the program's end
     * and which never enters another, whichever thread asks first.
     */
    private record HostNamespace(int fd, String link) {
        private static volatile HostNamespace instance;

        static HostNamespace get() {
            HostNamespace known = instance;
            if (known != null) {
                return known;
            }
            synchronized (HostNamespace.class) {
                if (instance == null) {
                    Libc libc = Libc.get();
                    int fd;
                    try {
                        fd = libc.open("/proc/self/ns/net", Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
                    } catch (LastErrorException e) {
                        throw new NetlinkException("open the host's network namespace", e.getErrorCode(), null);
                    }
                    try {
                        // The handle's own name ("net:[inode]"), so the two cannot disagree.
                        instance = new HostNamespace(fd, Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString());
                    } catch (IOException e) {
                        libc.close(fd);
                        throw new NetlinkException("read the host's network namespace", e.toString());
                    }
                }
                return instance;
            }
        }

        /** Throws unless the calling thread is in this namespace; {@code operation} names what it was about to do. */
        void requireHere(String operation) {
            String here = currentLink();
            if (!here.equals(link)) {
                throw new NetlinkException(operation, "this thread is in " + here + ", not in the host's network namespace " + link);
            }
        }

        void returnHere() {
            Libc.get().setns(fd, Libc.CLONE_NEWNET);
            requireHere("return a namespace worker to the host's namespace");
        }

        private static String currentLink() {
            try {
                return Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
            } catch (IOException e) {
                throw new NetlinkException("read /proc/thread-self/ns/net", e.toString());
            }
        }
    }

    private static String checkName(String name) {
        requireNonNull(name, "name");
        if (!NAME.matcher(name).matches() || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("network namespace name: '" + name
                    + "' (expected: 1 to 64 letters, digits and _.-, not . or ..)");
        }
        return name;
    }
}
