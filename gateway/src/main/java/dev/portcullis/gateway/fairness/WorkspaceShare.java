package dev.portcullis.gateway.fairness;

import dev.portcullis.gateway.observe.GatewayMetrics;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One workspace in the sharing: its weight and cap, and its open flows. Each tick the scheduler
 * asks it for its demand (the sum of its flows'), gives it an allocation, and it splits that
 * between its flows by max-min with equal weights, so a workspace's bulk download and its IDE
 * tunnel each get half of what the workspace gets, not what their read sizes would take.
 */
final class WorkspaceShare {
    final String workspaceId;
    final double weight;
    final double capBytesPerSecond;
    final Set<FlowGate> gates = ConcurrentHashMap.newKeySet();
    final GatewayMetrics.FairnessSeries metrics;

    // Scheduler thread only: the flows seen this tick and their numbers.
    private FlowGate[] flows = new FlowGate[4];
    private double[] demand = new double[4];
    private double[] weights = new double[4];
    private double[] caps = new double[4];
    private double[] allocation = new double[4];
    private int count;
    private boolean throttled;
    int idleTicks;
    double rate; // bytes per second, smoothed

    WorkspaceShare(String workspaceId, double weight, double capBytesPerSecond, GatewayMetrics.FairnessSeries metrics) {
        this.workspaceId = workspaceId;
        this.weight = weight;
        this.capBytesPerSecond = capBytesPerSecond;
        this.metrics = metrics;
    }

    /** Snapshots the open flows and returns what they want together (infinite if any is held back). */
    double collectDemand() {
        count = 0;
        throttled = false;
        double total = 0;
        for (FlowGate gate : gates) {
            if (count == flows.length) {
                grow(count * 2);
            }
            double wanted = gate.demand();
            throttled |= Double.isInfinite(wanted);
            flows[count] = gate;
            demand[count] = wanted;
            total += wanted;
            count++;
        }
        return total;
    }

    private void grow(int size) {
        flows = Arrays.copyOf(flows, size);
        demand = Arrays.copyOf(demand, size);
        weights = Arrays.copyOf(weights, size);
        caps = Arrays.copyOf(caps, size);
        allocation = Arrays.copyOf(allocation, size);
    }

    /** Splits {@code bytes} between the flows seen by {@link #collectDemand}; returns the bytes they used. */
    long distribute(double bytes) {
        Arrays.fill(weights, 0, count, 1);
        Arrays.fill(caps, 0, count, MaxMinAllocator.NO_CAP);
        MaxMinAllocator.allocate(bytes, count, demand, weights, caps, allocation);
        long used = 0;
        for (int i = 0; i < count; i++) {
            used += flows[i].refill(allocation[i]);
            flows[i] = null; // a closed flow is not kept alive by the snapshot
        }
        return used;
    }

    /** Whether a flow of this workspace had to wait during the last tick. */
    boolean wasThrottled() {
        return throttled;
    }

    int flowCount() {
        return count;
    }
}
