package dev.portcullis.testkit.browser;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A network namespace of one browser's own, joined to the host by one veth pair: Chromium inside
 * sees only its loopback and its end of the veth, so a host interface that appears or goes away
 * (another test's workspace veth) is no network change to it, and a page load in flight survives it
 * (Chromium otherwise drops it: ERR_NETWORK_CHANGED).
 *
 * <p>Names: the namespace is {@code pcbrowser-<pid>-<n>} (this JVM's pid), the host end
 * {@code pcbr<slot>}, the inside end {@code browser0}; no other test or the demo uses them. The
 * addresses are the slot's /30 in {@link #RANGE}: {@code .1} on the host end, {@code .2} inside (and
 * no IPv6 address but loopback's, all there before the browser starts: see {@link #configure}). A
 * slot is claimed by creating its host link (the kernel refuses a second link of that name, so two
 * JVMs never share one) after checking that no host address or route already covers it. Nothing
 * else is added to the host: no route beyond the veth's own connected one, no sysctl, no nftables.
 * {@link #close} deletes the veth and the namespace, only these; a namespace of this kind whose JVM
 * is gone (killed before it closed) is deleted by the next JVM that opens one.
 */
final class BrowserNamespace implements AutoCloseable {
    /** 63 slots of /30; unused by every other test, the demo and the load tests (checked on the host before use). */
    static final String RANGE = "10.217.128.0/24";
    private static final int SLOTS = 63; // the last /30 (10.217.128.252/30) is NetworkChangeTest's
    private static final String NAMESPACE_PREFIX = "pcbrowser-";
    private static final String HOST_LINK_PREFIX = "pcbr";
    private static final String INSIDE_LINK = "browser0";
    private static final Pattern OUR_NAMESPACE = Pattern.compile(NAMESPACE_PREFIX + "(\\d+)-\\d+");
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final Object RESIDUE_SWEPT = new Object();
    private static boolean residueSwept;

    private final String namespace;
    private final String hostLink;
    private final InetAddress hostAddress;
    private final InetAddress insideAddress;

    private BrowserNamespace(String namespace, String hostLink, InetAddress hostAddress, InetAddress insideAddress) {
        this.namespace = namespace;
        this.hostLink = hostLink;
        this.hostAddress = hostAddress;
        this.insideAddress = insideAddress;
    }

    /** Creates the namespace and its veth on the first free slot; throws with ip's own words when the kernel refuses. */
    static BrowserNamespace create() {
        sweepResidueOnce();
        String namespace = NAMESPACE_PREFIX + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
        ip("netns", "add", namespace).orThrow();
        try {
            List<String> skipped = new ArrayList<>();
            for (int slot = 0; slot < SLOTS; slot++) {
                String subnet = "10.217.128." + slot * 4 + "/30";
                Optional<String> inUse = coveredOnHost(subnet, slot);
                if (inUse.isPresent()) {
                    skipped.add(subnet + " (" + inUse.get() + ")");
                    continue;
                }
                String hostLink = HOST_LINK_PREFIX + slot;
                // Fails when the name exists: another browser (this JVM or another) holds the slot.
                if (!ip("link", "add", hostLink, "type", "veth", "peer", "name", INSIDE_LINK, "netns", namespace).ok()) {
                    skipped.add(subnet + " (" + hostLink + " exists)");
                    continue;
                }
                BrowserNamespace created = new BrowserNamespace(namespace, hostLink, address(slot * 4 + 1), address(slot * 4 + 2));
                try {
                    created.configure(subnet);
                    return created;
                } catch (RuntimeException e) {
                    created.close();
                    throw e;
                }
            }
            throw new IllegalStateException("no free /30 for a browser namespace in " + RANGE + ": " + skipped);
        } catch (RuntimeException e) {
            ip("netns", "del", namespace);
            throw e;
        }
    }

    private void configure(String subnet) {
        int prefix = Integer.parseInt(subnet.substring(subnet.indexOf('/') + 1));
        ip("addr", "add", hostAddress.getHostAddress() + "/" + prefix, "dev", hostLink).orThrow();
        ip("link", "set", hostLink, "up").orThrow();
        ip("-n", namespace, "addr", "add", insideAddress.getHostAddress() + "/" + prefix, "dev", INSIDE_LINK).orThrow();
        // No IPv6 link-local address on the inside end: it would appear about a second after the link
        // is up (once duplicate address detection ends), while the browser loads its first page, and
        // Chromium (156 at least) takes any address change for a network change and fails every
        // request in flight with ERR_NETWORK_CHANGED. The browser reaches everything over IPv4 anyway.
        ip("-n", namespace, "link", "set", INSIDE_LINK, "addrgenmode", "none").orThrow();
        ip("-n", namespace, "link", "set", INSIDE_LINK, "up").orThrow();
        // chromedriver talks to Chromium over the namespace's own loopback.
        ip("-n", namespace, "link", "set", "lo", "up").orThrow();
    }

    /** Why this /30 cannot be used: an address of the host inside it, or a host route into or over it (other than the default). */
    private static Optional<String> coveredOnHost(String subnet, int slot) {
        String addresses = dump("-4", "-o", "addr", "show", "to", subnet);
        String inside = dump("-4", "-o", "route", "show", "root", subnet);
        String over = dump("-4", "-o", "route", "show", "match", "10.217.128." + slot * 4).lines()
                .filter(line -> !line.startsWith("default")).reduce("", (a, b) -> a + b + "\n");
        // The slot's own link (another browser holds the slot) is the "exists" case, told when claiming.
        String ownLink = " " + HOST_LINK_PREFIX + slot + " ";
        String found = (addresses + inside + over).lines().filter(line -> !(line + " ").contains(ownLink))
                .reduce("", (a, b) -> a + b + "\n").strip();
        if (found.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("in use on the host: " + found.lines().findFirst().orElse(found));
    }

    /**
     * What a listing command prints, asked again when the kernel's list changed while it was read
     * (ip: "Dump was interrupted and may be inconsistent"), as it does while other tests add and
     * remove links; a list read whole is needed to tell a free slot.
     */
    static String dump(String... arguments) {
        Result result = ip(arguments);
        for (int attempt = 1; attempt < 10 && result.stderr.contains("Dump was interrupted"); attempt++) {
            result = ip(arguments);
        }
        if (result.stderr.contains("Dump was interrupted")) {
            throw new IllegalStateException("ip " + String.join(" ", arguments) + ": the kernel's list kept changing while read");
        }
        return result.orThrow();
    }

    String name() {
        return namespace;
    }

    /** The host end's address: what the browser inside reaches the host's relay on. */
    InetAddress hostAddress() {
        return hostAddress;
    }

    /** The inside end's address: what the test reaches chromedriver on. */
    InetAddress insideAddress() {
        return insideAddress;
    }

    /** The command line that runs {@code command} inside the namespace. */
    List<String> inside(List<String> command) {
        List<String> line = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
        line.addAll(command);
        return line;
    }

    /** Kills whatever still runs inside (a Chromium its driver left), then deletes the veth and the namespace. */
    @Override
    public void close() {
        killEverythingInside(namespace);
        ip("link", "del", hostLink);
        ip("netns", "del", namespace);
    }

    private static void killEverythingInside(String namespace) {
        for (int round = 0; round < 2; round++) {
            List<ProcessHandle> processes = ip("netns", "pids", namespace).stdout.lines().map(String::strip)
                    .filter(pid -> !pid.isEmpty()).map(Long::parseLong).map(ProcessHandle::of).flatMap(Optional::stream).toList();
            if (processes.isEmpty()) {
                return;
            }
            boolean politely = round == 0;
            processes.forEach(process -> {
                if (politely) {
                    process.destroy();
                } else {
                    process.destroyForcibly();
                }
            });
            processes.forEach(process -> process.onExit().completeOnTimeout(process, 5, TimeUnit.SECONDS).join());
        }
    }

    /** Deletes browser namespaces whose JVM is gone (killed before closing them); never one of a live JVM. */
    private static void sweepResidueOnce() {
        synchronized (RESIDUE_SWEPT) {
            if (residueSwept) {
                return;
            }
            residueSwept = true;
        }
        for (String line : ip("netns", "list").stdout.lines().toList()) {
            String name = line.split(" ", 2)[0];
            Matcher matcher = OUR_NAMESPACE.matcher(name);
            if (matcher.matches() && ProcessHandle.of(Long.parseLong(matcher.group(1))).isEmpty()) {
                killEverythingInside(name);
                ip("netns", "del", name); // its veth goes with its inside end
            }
        }
    }

    private static InetAddress address(int lastOctet) {
        try {
            return InetAddress.getByAddress(new byte[] {10, (byte) 217, (byte) 128, (byte) lastOctet});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private record Result(List<String> command, int exit, String stdout, String stderr) {
        boolean ok() {
            return exit == 0;
        }

        String orThrow() {
            if (exit != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed (exit " + exit + "): " + stderr.strip());
            }
            return stdout;
        }
    }

    private static Result ip(String... arguments) {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(arguments));
        try {
            Process process = new ProcessBuilder(command).start();
            process.getOutputStream().close();
            // Both streams are small (a few lines); read stderr after stdout.
            String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            return new Result(command, process.waitFor(), stdout, stderr);
        } catch (IOException e) {
            throw new UncheckedIOException(String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", command), e);
        }
    }
}
