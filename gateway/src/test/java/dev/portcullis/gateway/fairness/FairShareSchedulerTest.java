package dev.portcullis.gateway.fairness;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portcullis.gateway.observe.GatewayMetrics;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The scheduler ticked by hand, its flows on embedded channels: which reads wait, which are
 * resumed, and how many bytes each flow's budget receives.
 */
class FairShareSchedulerTest {
    private static final long TICK = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long BURST = 4096;
    /** 1 MB/s: 10 000 bytes per 10 ms tick. */
    private static final Bandwidth CAPACITY = Bandwidth.bytesPerSecond(1_000_000);

    private final GatewayMetrics metrics = new GatewayMetrics();
    private long now = 1_000_000_000L;

    private FairShareScheduler scheduler(Bandwidth capacity, Map<String, FairnessSettings.WorkspacePolicy> workspaces) {
        return FairShareScheduler.manual(new FairnessSettings(capacity, java.time.Duration.ofNanos(TICK), BURST, 1,
                Map.of(), workspaces), metrics, now);
    }

    private void tick(FairShareScheduler scheduler) {
        now += TICK;
        scheduler.tick(now);
    }

    /** A channel that counts the reads its handler asked for. */
    private static final class Flow {
        final EmbeddedChannel channel;
        final ChannelHandlerContext ctx;
        int reads;

        Flow() {
            channel = new EmbeddedChannel();
            channel.config().setAutoRead(false);
            channel.pipeline().addFirst(new ChannelOutboundHandlerAdapter() {
                @Override
                public void read(ChannelHandlerContext ctx) {
                    reads++;
                }
            });
            channel.pipeline().addLast(new io.netty.channel.ChannelInboundHandlerAdapter());
            ctx = channel.pipeline().lastContext();
        }

        int readsAfterTasks() {
            channel.runPendingTasks();
            return reads;
        }
    }

    /** Spends the flow's budget and more, then asks to read: the flow is backlogged and waits. */
    private static void backlog(BandwidthGate gate, Flow flow) {
        gate.charge(((FlowGate) gate).tokens() + 50_000);
        gate.read(flow.ctx);
    }

    @Test
    void readsAtOnceWhileTheBudgetLastsAndWaitsWhenItIsSpent() {
        FairShareScheduler scheduler = scheduler(CAPACITY, Map.of());
        BandwidthGate gate = scheduler.open("ws1");
        Flow flow = new Flow();

        gate.charge(BURST - 1);
        gate.read(flow.ctx);
        assertThat(flow.readsAfterTasks()).isEqualTo(1);

        gate.charge(10);
        gate.read(flow.ctx);
        assertThat(flow.readsAfterTasks()).as("budget spent: no read until a refill").isEqualTo(1);
        assertThat(((FlowGate) gate).isWaiting()).isTrue();

        tick(scheduler);
        assertThat(flow.readsAfterTasks()).as("refilled: the waiting read happens on the flow's loop").isEqualTo(2);
    }

    @Test
    void workspacesShareEquallyWhateverTheirNumberOfFlows() {
        FairShareScheduler scheduler = scheduler(CAPACITY, Map.of());
        List<BandwidthGate> heavy = new ArrayList<>();
        List<Flow> heavyFlows = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            heavy.add(scheduler.open("heavy"));
            heavyFlows.add(new Flow());
            backlog(heavy.get(i), heavyFlows.get(i));
        }
        BandwidthGate light = scheduler.open("light");
        backlog(light, new Flow());
        long[] before = new long[5];
        for (int i = 0; i < 4; i++) {
            before[i] = ((FlowGate) heavy.get(i)).tokens();
        }
        before[4] = ((FlowGate) light).tokens();

        tick(scheduler);

        // 10 000 bytes this tick: 5 000 per workspace; the heavy one's 5 000 split over its 4 flows.
        for (int i = 0; i < 4; i++) {
            assertThat(((FlowGate) heavy.get(i)).tokens() - before[i]).isEqualTo(1250);
        }
        assertThat(((FlowGate) light).tokens() - before[4]).isEqualTo(5000);
    }

    @Test
    void weightsAndCapsShapeTheShares() {
        FairShareScheduler scheduler = scheduler(CAPACITY, Map.of(
                "w1", policy(1, null), "w2", policy(2, null), "w4", policy(4, null),
                "capped", policy(1, Bandwidth.bytesPerSecond(100_000))));
        Map<String, BandwidthGate> gates = new java.util.LinkedHashMap<>();
        for (String id : List.of("w1", "w2", "w4", "capped")) {
            gates.put(id, scheduler.open(id));
            backlog(gates.get(id), new Flow());
        }
        Map<String, Long> before = new java.util.HashMap<>();
        gates.forEach((id, gate) -> before.put(id, ((FlowGate) gate).tokens()));

        tick(scheduler);

        // capped: 100 000 B/s = 1 000 per tick; the other 9 000 in sevenths.
        Map<String, Long> got = new java.util.HashMap<>();
        gates.forEach((id, gate) -> got.put(id, ((FlowGate) gate).tokens() - before.get(id)));
        assertThat(got.get("capped")).isEqualTo(1000);
        assertThat(got.get("w1")).isBetween(1285L, 1286L);
        assertThat(got.get("w2")).isBetween(2571L, 2572L);
        assertThat(got.get("w4")).isBetween(5142L, 5143L);
    }

    @Test
    void anInteractiveFlowIsNeverHeldBackByBulkFlowsOfItsOwnWorkspace() {
        FairShareScheduler scheduler = scheduler(CAPACITY, Map.of());
        List<BandwidthGate> bulk = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            bulk.add(scheduler.open("ws1"));
        }
        BandwidthGate keystrokes = scheduler.open("ws1");
        Flow terminal = new Flow();
        for (int tick = 0; tick < 200; tick++) {
            for (BandwidthGate gate : bulk) {
                backlog(gate, new Flow()); // always wanting more than they get
            }
            keystrokes.charge(64);
            keystrokes.read(terminal.ctx);
            assertThat(terminal.readsAfterTasks()).as("tick %d", tick).isEqualTo(tick + 1);
            tick(scheduler);
        }
    }

    @Test
    void anIdleFlowTakesNothingFromABackloggedOne() {
        FairShareScheduler scheduler = scheduler(CAPACITY, Map.of());
        BandwidthGate idle = scheduler.open("idle");
        BandwidthGate busy = scheduler.open("busy");
        backlog(busy, new Flow());
        long before = ((FlowGate) busy).tokens();

        tick(scheduler);

        assertThat(((FlowGate) busy).tokens() - before).as("work-conserving: the whole tick").isEqualTo(10_000);
        assertThat(((FlowGate) idle).tokens()).as("an idle flow keeps its burst, no more").isEqualTo(BURST);
    }

    @Test
    void unlimitedCapacityNeverHoldsAFlowBack() {
        FairShareScheduler scheduler = scheduler(Bandwidth.UNLIMITED, Map.of());
        BandwidthGate gate = scheduler.open("ws1");
        Flow flow = new Flow();
        backlog(gate, flow);

        tick(scheduler);

        assertThat(flow.readsAfterTasks()).isEqualTo(1);
        gate.charge(1L << 40);
        gate.read(flow.ctx);
        assertThat(flow.readsAfterTasks()).isEqualTo(2);
    }

    @Test
    void aClosedFlowNoLongerWaitsNorShares() {
        FairShareScheduler scheduler = scheduler(CAPACITY, Map.of());
        BandwidthGate closed = scheduler.open("ws1");
        BandwidthGate open = scheduler.open("ws1");
        Flow flow = new Flow();
        backlog(closed, new Flow());
        backlog(open, flow);
        closed.close();
        long before = ((FlowGate) open).tokens();

        tick(scheduler);

        assertThat(((FlowGate) open).tokens() - before).isEqualTo(10_000);
        Flow late = new Flow();
        closed.read(late.ctx);
        assertThat(late.readsAfterTasks()).as("a read asked for after the end happens at once").isEqualTo(1);
    }

    @Test
    void metricsNameTheWorkspaceWhileItHasFlowsAndForgetItLater() throws Exception {
        FairShareScheduler scheduler = scheduler(CAPACITY, Map.of());
        BandwidthGate gate = scheduler.open("ws1");
        backlog(gate, new Flow());
        tick(scheduler);
        tick(scheduler);
        assertThat(scrape()).contains("portcullis_fairness_throttled_seconds_total{workspace=\"ws1\"}")
                .contains("portcullis_fairness_bytes_total{workspace=\"ws1\"}")
                .contains("portcullis_fairness_flows{workspace=\"ws1\"} 1");

        gate.close();
        long ticksToRetire = FairShareScheduler.RETIRE_AFTER_NANOS / TICK + 2;
        for (long i = 0; i < ticksToRetire; i++) {
            tick(scheduler);
        }

        assertThat(scheduler.workspaceCount()).isZero();
        assertThat(scrape()).doesNotContain("workspace=\"ws1\"");

        BandwidthGate again = scheduler.open("ws1");
        backlog(again, new Flow());
        tick(scheduler);
        assertThat(scrape()).as("a workspace that comes back is counted again")
                .contains("portcullis_fairness_flows{workspace=\"ws1\"} 1");
    }

    private String scrape() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        metrics.writeText(out);
        return out.toString(StandardCharsets.UTF_8);
    }

    private static FairnessSettings.WorkspacePolicy policy(double weight, Bandwidth cap) {
        return new FairnessSettings.WorkspacePolicy(java.util.Optional.empty(), java.util.OptionalDouble.of(weight),
                java.util.Optional.ofNullable(cap));
    }
}
