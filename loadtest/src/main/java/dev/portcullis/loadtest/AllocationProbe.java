package dev.portcullis.loadtest;

import com.sun.management.OperatingSystemMXBean;
import com.sun.management.ThreadMXBean;
import com.sun.tools.attach.VirtualMachine;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * The bytes a running gateway has allocated so far, the CPU time it spent (all threads, and its
 * event loops'), and the GC pauses its {@code -Xlog:gc} file
 * recorded from a given line on: run.sh reads it before and after a measured run (the alloc scenario).
 *
 * <p>Bytes come from the gateway's own {@code ThreadMXBean} (HotSpot counts every thread's
 * allocation exactly, the used part of its current TLAB included), read through the JDK's attach
 * API and the local JMX agent it starts. The alternatives were coarser: {@code jcmd Thread.print -e}
 * rounds each thread's figure to three digits (a delta of two such readings is off by up to 2 MiB),
 * the GC log only sees what survives to a collection, and JFR's allocation samples are statistical.
 * The total includes threads that ended; the event loops' share is read from the threads named
 * {@code --loop-prefix}. Reading allocates a little on the gateway's RMI threads, which only the
 * total sees (run.sh measures it with no load in between).
 */
public final class AllocationProbe {
    /**
     * A pause in {@code -Xlog:gc}: "[12.345s][info][gc] GC(12) Pause Young (Allocation Failure) 69M->2M(247M) 1.234ms"
     * (Serial, G1's "Pause Young (Normal) (G1 Evacuation Pause)", "Pause Remark", "Pause Full"...). G1's
     * concurrent phases ("Concurrent Mark Cycle 12.3ms") do not stop the application and are not pauses.
     */
    private static final Pattern PAUSE = Pattern.compile("\\bGC\\(\\d+\\) Pause .* (\\d+(?:\\.\\d+)?)ms\\s*$");

    private AllocationProbe() {}

    /** GC pauses in a stretch of a GC log: how many, their sum and the longest, in milliseconds. */
    record Pauses(int count, double totalMs, double maxMs) {
        static Pauses of(List<String> lines) {
            int count = 0;
            double total = 0;
            double max = 0;
            for (String line : lines) {
                Matcher pause = PAUSE.matcher(line);
                if (pause.find()) {
                    double ms = Double.parseDouble(pause.group(1));
                    count++;
                    total += ms;
                    max = Math.max(max, ms);
                }
            }
            return new Pauses(count, total, max);
        }
    }

    /**
     * Allocated bytes and CPU time of the whole process and of its event-loop threads. The CPU times
     * are the kernel's per-thread accounting in nanoseconds ({@code CLOCK_THREAD_CPUTIME_ID}, what
     * {@code ThreadMXBean.getThreadCpuTime} reads), so the event loop's figure leaves out the JIT, the
     * GC and this probe's own RMI threads, which the process's total includes. The event loop's user
     * time leaves out its system calls as well (the kernel's TCP work, whose share of a thread moves
     * with how busy the machine is); Linux splits a thread's exact run time into user and system time
     * by the ratio of its clock ticks, so that figure is a little coarser.
     */
    record Counters(long totalBytes, long loopBytes, int loopThreads, long loopCpuNanos, long loopUserNanos,
            long processCpuNanos) {}

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        StringBuilder line = new StringBuilder("ALLOC_RESULT");
        if (!args.get("pid", "").isEmpty()) {
            Counters counters = read(args.get("pid"), args.get("loop-prefix", "gateway-io-"));
            line.append(" total_bytes=").append(counters.totalBytes()).append(" loop_bytes=").append(counters.loopBytes())
                    .append(" loop_threads=").append(counters.loopThreads())
                    .append(" loop_cpu_ns=").append(counters.loopCpuNanos())
                    .append(" loop_user_ns=").append(counters.loopUserNanos())
                    .append(" process_cpu_ns=").append(counters.processCpuNanos());
        }
        if (!args.get("gc-log", "").isEmpty()) {
            List<String> lines = Files.readAllLines(Path.of(args.get("gc-log")));
            int from = args.getInt("gc-from-line", 0);
            if (from < 0 || from > lines.size()) {
                throw new IllegalArgumentException("--gc-from-line " + from + " (expected: 0.." + lines.size() + ", the log's length)");
            }
            Pauses pauses = Pauses.of(lines.subList(from, lines.size()));
            line.append(" gc_log_lines=").append(lines.size()).append(" gc_pauses=").append(pauses.count())
                    .append(String.format(" gc_pause_total_ms=%.3f gc_pause_max_ms=%.3f", pauses.totalMs(), pauses.maxMs()));
        }
        System.out.println(line);
    }

    static Counters read(String pid, String loopPrefix) throws Exception {
        VirtualMachine vm = VirtualMachine.attach(pid);
        String address;
        try {
            // Starts the gateway's local JMX agent on first use; later probes get the same address back.
            address = vm.startLocalManagementAgent();
        } finally {
            vm.detach();
        }
        try (JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(address))) {
            MBeanServerConnection connection = connector.getMBeanServerConnection();
            ThreadMXBean threads = ManagementFactory.newPlatformMXBeanProxy(connection,
                    ManagementFactory.THREAD_MXBEAN_NAME, ThreadMXBean.class);
            long[] ids = threads.getAllThreadIds();
            ThreadInfo[] infos = threads.getThreadInfo(ids);
            long[] bytes = threads.getThreadAllocatedBytes(ids);
            long[] cpu = threads.getThreadCpuTime(ids);
            long[] user = threads.getThreadUserTime(ids);
            long loop = 0;
            long loopCpu = 0;
            long loopUser = 0;
            int loopThreads = 0;
            for (int i = 0; i < ids.length; i++) {
                if (infos[i] != null && infos[i].getThreadName().startsWith(loopPrefix) && bytes[i] >= 0) {
                    loop += bytes[i];
                    loopCpu += Math.max(0, cpu[i]);
                    loopUser += Math.max(0, user[i]);
                    loopThreads++;
                }
            }
            OperatingSystemMXBean system = ManagementFactory.newPlatformMXBeanProxy(connection,
                    ManagementFactory.OPERATING_SYSTEM_MXBEAN_NAME, OperatingSystemMXBean.class);
            return new Counters(threads.getTotalThreadAllocatedBytes(), loop, loopThreads, loopCpu, loopUser,
                    system.getProcessCpuTime());
        } catch (IOException e) {
            throw new IOException("cannot read the allocation counters of pid " + pid + " at " + address, e);
        }
    }
}
