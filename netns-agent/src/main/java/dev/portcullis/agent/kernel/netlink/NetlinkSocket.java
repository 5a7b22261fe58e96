package dev.portcullis.agent.kernel.netlink;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One NETLINK_ROUTE socket (or NETLINK_NETFILTER, for nf_tables batches: {@link #hostNetfilter}). A
 * netlink socket talks to the network namespace of the thread that opened it, for its whole life,
 * whichever thread uses it later: so a socket opened by a thread that entered a workspace's
 * namespace (see {@link NetworkNamespaces}) configures that namespace from any thread of the agent,
 * and the agent's own threads never change namespace. The host's sockets are lent and given back
 * ({@link #host}); a workspace's are opened and closed.
 *
 * <p>Each request asks for an acknowledgement and waits for it, so a failure surfaces at the request
 * that caused it; the kernel's extended ack (NETLINK_EXT_ACK) adds its own explanation. One request
 * at a time per socket (a lock), with a receive deadline, so a kernel that never answers cannot hang
 * the agent.
 */
public final class NetlinkSocket implements AutoCloseable {

    static final int NLM_F_REQUEST = 0x1;
    static final int NLM_F_MULTI = 0x2;
    static final int NLM_F_ACK = 0x4;
    static final int NLM_F_ROOT = 0x100;
    static final int NLM_F_MATCH = 0x200;
    static final int NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
    static final int NLM_F_REPLACE = 0x100;
    static final int NLM_F_EXCL = 0x200;
    static final int NLM_F_CREATE = 0x400;
    private static final int NLMSG_ERROR = 2;
    private static final int NLMSG_DONE = 3;
    private static final int NLM_F_CAPPED = 0x100;
    private static final int NLM_F_ACK_TLVS = 0x200;
    private static final int NLMSGERR_ATTR_MSG = 1;
    static final int NETLINK_ROUTE = 0;
    private static final int NETLINK_NETFILTER = 12;
    /** nfnetlink's batch markers (NFNL_MSG_BATCH_BEGIN, _END): what lies between is one transaction. */
    private static final int NFNL_MSG_BATCH_BEGIN = 0x10;
    private static final int NFNL_MSG_BATCH_END = 0x11;
    private static final int NFNL_SUBSYS_NFTABLES = 10;
    private static final int RECEIVE_BUFFER = 1 << 16;
    private static final int RECEIVE_TIMEOUT_SECONDS = 20;
    /** Host sockets kept open between uses, per protocol: as many as creates ever ran at once, up to this. */
    private static final int IDLE_HOST_SOCKETS = 32;
    private static final BlockingQueue<NetlinkSocket> IDLE_ROUTE = new ArrayBlockingQueue<>(IDLE_HOST_SOCKETS);
    private static final BlockingQueue<NetlinkSocket> IDLE_NETFILTER = new ArrayBlockingQueue<>(IDLE_HOST_SOCKETS);

    /** One reply message: its type, flags and what follows the 16-byte header. */
    record Reply(int type, int flags, ByteBuffer payload) {}

    private final int fd;
    private final String where;
    private final ReentrantLock lock = new ReentrantLock();
    private final Memory receive = new Memory(RECEIVE_BUFFER);
    /** Where {@link #close} puts this socket back ({@link #host}), or null: close closes. */
    private final BlockingQueue<NetlinkSocket> idle;
    private int sequence;
    private boolean closed;
    /** Lent out by {@link #host}: only then may it be used, and closing puts it back. */
    private boolean lent;
    /** A send or receive failed, or an answer made no sense: what the kernel holds for it is unknown, so it is not lent again. */
    private boolean broken;

    private NetlinkSocket(int fd, String where, BlockingQueue<NetlinkSocket> idle) {
        this.fd = fd;
        this.where = where;
        this.idle = idle;
    }

    /**
     * A NETLINK_ROUTE socket in the host's namespace, lent: {@link #close} puts it back for the next
     * caller instead of closing it. A create used to open two (route and netfilter) and close them
     * again, seven system calls each (13% of the kernel time of a create that took a spare, in a
     * profile of twenty at once). A new one is opened only by a thread in the host's namespace; a
     * namespace worker that asks when none is idle is refused.
     */
    public static NetlinkSocket host() {
        return lend(IDLE_ROUTE, NETLINK_ROUTE);
    }

    /** {@link #host} for nf_tables {@link #transaction}s (NETLINK_NETFILTER). */
    public static NetlinkSocket hostNetfilter() {
        return lend(IDLE_NETFILTER, NETLINK_NETFILTER);
    }

    /** A socket from {@code idle}, or a new one that {@link #close} gives back to it; a test may pass a pool of its own. */
    static NetlinkSocket lend(BlockingQueue<NetlinkSocket> idle, int protocol) {
        NetlinkSocket socket = idle.poll();
        if (socket == null) {
            // A socket talks to its opener's namespace for life: only a host thread may add one to the pool.
            NetworkNamespaces.requireHost("open a netlink socket in the host (none opened)");
            socket = open("the host", protocol, idle);
        }
        socket.lock.lock();
        try {
            socket.lent = true;
        } finally {
            socket.lock.unlock();
        }
        return socket;
    }

    /** A socket in the namespace of the calling thread (the host's, for any thread that never entered one). */
    public static NetlinkSocket open(String where) {
        return open(where, NETLINK_ROUTE, null);
    }

    private static NetlinkSocket open(String where, int protocol, BlockingQueue<NetlinkSocket> idle) {
        Libc libc = Libc.get();
        int fd;
        try {
            fd = libc.socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, protocol);
        } catch (LastErrorException e) {
            throw new NetlinkException("open a netlink socket in " + where, e.getErrorCode(), null);
        }
        try {
            option(libc, fd, Libc.SOL_NETLINK, Libc.NETLINK_EXT_ACK, intBytes(1));
            option(libc, fd, Libc.SOL_NETLINK, Libc.NETLINK_CAP_ACK, intBytes(1));
            // Dumps then honour the index in the request's header (addresses of one link, not of all).
            option(libc, fd, Libc.SOL_NETLINK, Libc.NETLINK_GET_STRICT_CHK, intBytes(1));
            byte[] timeout = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder())
                    .putLong(RECEIVE_TIMEOUT_SECONDS).putLong(0).array();
            option(libc, fd, Libc.SOL_SOCKET, Libc.SO_RCVTIMEO, timeout);
            option(libc, fd, Libc.SOL_SOCKET, Libc.SO_SNDTIMEO, timeout);
        } catch (LastErrorException e) {
            libc.close(fd);
            throw new NetlinkException("set up the netlink socket in " + where, e.getErrorCode(), null);
        }
        return new NetlinkSocket(fd, where, idle);
    }

    private static void option(Libc libc, int fd, int level, int name, byte[] value) {
        libc.setsockopt(fd, level, name, value, value.length);
    }

    private static byte[] intBytes(int value) {
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array();
    }

    /** Where this socket talks to: "the host" or "namespace pcx-ws1", for messages. */
    public String where() {
        return where;
    }

    /** Sends a change and waits for the kernel's acknowledgement; throws with {@code operation} in the message. */
    void change(NetlinkMessage message, String operation) {
        exchange(message, NLM_F_REQUEST | NLM_F_ACK, operation, false);
    }

    /** Sends a request that answers with one message (a GET of one object), and returns it. */
    Reply get(NetlinkMessage message, String operation) {
        List<Reply> replies = exchange(message, NLM_F_REQUEST, operation, false);
        if (replies.isEmpty()) {
            throw new NetlinkException(operation, "the kernel answered nothing");
        }
        return replies.get(0);
    }

    /** Sends a dump request and returns every message of the answer. */
    List<Reply> dump(NetlinkMessage message, String operation) {
        return exchange(message, NLM_F_REQUEST | NLM_F_DUMP, operation, true);
    }

    private List<Reply> exchange(NetlinkMessage message, int flags, String operation, boolean dump) {
        lock.lock();
        try {
            requireUsable(operation);
            Libc libc = Libc.get();
            int seq = ++sequence;
            byte[] request = message.finish(seq);
            ByteBuffer.wrap(request).order(ByteOrder.nativeOrder()).putShort(6, (short) (flags | message.extraFlags()));
            try {
                libc.send(fd, request, request.length, 0);
            } catch (LastErrorException e) {
                broken = true;
                throw new NetlinkException(operation, e.getErrorCode(), null);
            }
            List<Reply> replies = new ArrayList<>();
            while (true) {
                for (Received answer : receive(operation)) {
                    if (answer.seq() != seq) {
                        continue; // an answer to an earlier request that gave up waiting
                    }
                    ByteBuffer payload = answer.payload();
                    if (answer.type() == NLMSG_ERROR) {
                        int error = payload.getInt(0);
                        if (error == 0) {
                            return replies; // the acknowledgement
                        }
                        throw new NetlinkException(operation, -error, extendedAckMessage(payload, answer.flags()));
                    }
                    if (answer.type() == NLMSG_DONE) {
                        int error = payload.remaining() >= 4 ? payload.getInt(0) : 0;
                        if (error < 0) {
                            throw new NetlinkException(operation, -error, null);
                        }
                        return replies;
                    }
                    replies.add(new Reply(answer.type(), answer.flags(), payload));
                    if (!dump && (answer.flags() & NLM_F_MULTI) == 0 && (flags & NLM_F_ACK) == 0) {
                        return replies; // the one answer to a GET
                    }
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sends {@code messages} as one nf_tables transaction (between nfnetlink's batch markers, in one
     * send: the kernel applies all of them or none) and waits for the acknowledgement of each. When
     * any is refused the whole batch is undone by the kernel, and this throws with the first refusal,
     * named by {@code operations} (one per message).
     */
    void transaction(List<NetlinkMessage> messages, List<String> operations) {
        if (messages.size() != operations.size() || messages.isEmpty()) {
            throw new IllegalArgumentException("transaction: " + messages.size() + " messages, " + operations.size()
                    + " operations (expected: as many of each, at least one)");
        }
        lock.lock();
        try {
            requireUsable(operations.get(0));
            Libc libc = Libc.get();
            ByteArrayOutputStream batch = new ByteArrayOutputStream();
            int begin = ++sequence;
            batch.writeBytes(batchMarker(NFNL_MSG_BATCH_BEGIN, begin));
            Map<Integer, String> pending = new LinkedHashMap<>();
            for (int i = 0; i < messages.size(); i++) {
                int seq = ++sequence;
                byte[] request = messages.get(i).finish(seq);
                ByteBuffer.wrap(request).order(ByteOrder.nativeOrder()).putShort(6,
                        (short) (NLM_F_REQUEST | NLM_F_ACK | messages.get(i).extraFlags()));
                batch.writeBytes(request);
                pending.put(seq, operations.get(i));
            }
            int end = ++sequence;
            batch.writeBytes(batchMarker(NFNL_MSG_BATCH_END, end));
            byte[] request = batch.toByteArray();
            String operation = operations.get(0);
            try {
                libc.send(fd, request, request.length, 0);
            } catch (LastErrorException e) {
                broken = true;
                throw new NetlinkException(operation, e.getErrorCode(), null);
            }
            NetlinkException refused = null;
            while (!pending.isEmpty()) {
                for (Received message : receive(operation)) {
                    if (message.type() != NLMSG_ERROR) {
                        continue;
                    }
                    ByteBuffer payload = message.payload();
                    int error = payload.getInt(0);
                    if (message.seq() == begin || message.seq() == end) {
                        if (error != 0) { // the batch itself was refused: nothing in it was applied
                            throw new NetlinkException(operation + " (the batch)", -error, extendedAckMessage(payload, message.flags()));
                        }
                        continue;
                    }
                    String refusedOperation = pending.remove(message.seq());
                    if (refusedOperation != null && error != 0 && refused == null) {
                        refused = new NetlinkException(refusedOperation, -error, extendedAckMessage(payload, message.flags()));
                    }
                }
            }
            if (refused != null) {
                throw refused;
            }
        } finally {
            lock.unlock();
        }
    }

    private void requireUsable(String operation) {
        if (closed || idle != null && !lent) {
            throw new IllegalStateException("netlink socket of " + where + " is " + (closed ? "closed" : "given back")
                    + ": " + operation);
        }
    }

    /** One message of the kernel's answer, its header read. */
    private record Received(int type, int flags, int seq, ByteBuffer payload) {}

    /** Waits for the kernel's next datagram and splits it into its messages. Called under {@link #lock}. */
    private List<Received> receive(String operation) {
        int length;
        try {
            length = (int) Libc.get().recv(fd, receive, RECEIVE_BUFFER, 0);
        } catch (LastErrorException e) {
            broken = true; // the answer may still come, to whoever asks next
            throw new NetlinkException(operation + " (waiting for the kernel's answer)", e.getErrorCode(), null);
        }
        ByteBuffer buffer = ByteBuffer.wrap(receive.getByteArray(0, length)).order(ByteOrder.nativeOrder());
        List<Received> messages = new ArrayList<>();
        int at = 0;
        while (at + NetlinkMessage.HEADER_LENGTH <= length) {
            int messageLength = buffer.getInt(at);
            if (messageLength < NetlinkMessage.HEADER_LENGTH || at + messageLength > length) {
                broken = true;
                throw new NetlinkException(operation, "malformed answer from the kernel (length " + messageLength + ")");
            }
            ByteBuffer payload = buffer.slice(at + NetlinkMessage.HEADER_LENGTH,
                    messageLength - NetlinkMessage.HEADER_LENGTH).order(ByteOrder.nativeOrder());
            messages.add(new Received(buffer.getShort(at + 4) & 0xffff, buffer.getShort(at + 6) & 0xffff,
                    buffer.getInt(at + 8), payload));
            at += (messageLength + 3) & ~3;
        }
        return messages;
    }

    private static byte[] batchMarker(int type, int seq) {
        return new NetlinkMessage(type, NLM_F_REQUEST).u8(0).u8(0).bigEndianShort(NFNL_SUBSYS_NFTABLES).finish(seq);
    }

    /** The kernel's words for a refusal: after the error code and the request's header (capped), attribute MSG. */
    private static String extendedAckMessage(ByteBuffer payload, int flags) {
        if ((flags & NLM_F_ACK_TLVS) == 0) {
            return null;
        }
        int requestLength = payload.getInt(4);
        int start = 4 + ((flags & NLM_F_CAPPED) != 0 ? NetlinkMessage.HEADER_LENGTH : requestLength);
        if (start > payload.remaining()) {
            return null;
        }
        return new Attributes(payload, start, payload.remaining()).string(NLMSGERR_ATTR_MSG).orElse(null);
    }

    /** Closes the socket; a lent one ({@link #host}) goes back for the next caller instead, unless it broke. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed || idle != null && !lent) {
                return; // closed or given back already
            }
            if (idle != null) {
                lent = false;
                if (!broken && idle.offer(this)) {
                    return;
                }
            }
            closed = true;
            Libc.get().close(fd);
        } finally {
            lock.unlock();
        }
    }
}
