package dev.portcullis.loadtest;

import dev.portcullis.agent.lifecycle.CreateStep;
import dev.portcullis.agent.lifecycle.StepListener;
import dev.portcullis.policy.WorkspaceId;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * The time between the steps of each create being watched, per phase of the run (one at a time,
 * all at once, the fill): keyed by workspace, so creates that run side by side are each timed
 * from their own call (or their burst's start), and the steps that grow when twenty run at once
 * stand out.
 */
final class CreateStepTimes implements StepListener {
    /** Phase, then step: its histogram of µs from the step before (the first step: from the call). */
    final Map<String, Map<CreateStep, Histogram>> phases = new LinkedHashMap<>();
    private final Map<WorkspaceId, long[]> previous = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<WorkspaceId, Map<CreateStep, Histogram>> into = new java.util.concurrent.ConcurrentHashMap<>();

    /** Declares a phase, so the report shows the phases in the run's order. */
    synchronized Map<CreateStep, Histogram> phase(String name) {
        return phases.computeIfAbsent(name, any -> new EnumMap<>(CreateStep.class));
    }

    /** Watches the create of {@code id} into {@code phase} (null: not watched); returns its start. */
    long start(WorkspaceId id, String phase) {
        return start(id, phase, System.nanoTime());
    }

    /** As {@link #start(WorkspaceId, String)}, timed from {@code at} (a burst's start, before its caller ran). */
    long start(WorkspaceId id, String phase, long at) {
        if (phase != null) {
            into.put(id, phase(phase));
            previous.put(id, new long[] {at});
        }
        return at;
    }

    @Override
    public void after(CreateStep step, WorkspaceId id) {
        Map<CreateStep, Histogram> histograms = into.get(id);
        long[] last = previous.get(id);
        if (histograms == null || last == null) {
            return;
        }
        long now = System.nanoTime();
        synchronized (this) {
            histograms.computeIfAbsent(step, s -> new Histogram(3)).recordValue((now - last[0]) / 1000);
        }
        last[0] = now;
        if (step == CreateStep.ROUTE_PUBLISHED) {
            into.remove(id);
            previous.remove(id);
        }
    }
}

