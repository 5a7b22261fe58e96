package dev.portcullis.loadtest.jmh;

import dev.portcullis.agent.address.AddressPlan;
import dev.portcullis.agent.address.Ipv4Cidr;
import dev.portcullis.agent.state.DesiredState;
import dev.portcullis.agent.state.DesiredStateStore;
import dev.portcullis.agent.workspace.WorkspaceRecord;
import dev.portcullis.policy.WorkspaceId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The host agent's save of its desired state, as a create makes it before it touches the kernel
 * ({@link DesiredStateStore#write}: the whole state's JSON into a slot file, in place, no fsync; the
 * flush and the copy to desired-state.json come later, off the create's path), with 10, 100 and 1000
 * workspaces recorded. Each save carries one changed workspace (a
 * new record, as a create or a delete brings), so what grows with the host is the cost of the others.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class StateSaveBenchmark {
    private static final Instant CREATED = Instant.parse("2026-01-01T00:00:00Z");

    @Param({"10", "100", "1000"})
    public int workspaces;

    private Path dir;
    private DesiredStateStore store;
    private DesiredState state;
    private int next;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("portcullis-state-save");
        store = new DesiredStateStore(dir, new AddressPlan(Ipv4Cidr.parse("10.214.0.0/20"), 31));
        List<WorkspaceRecord> records = new ArrayList<>();
        for (int i = 0; i < workspaces; i++) {
            records.add(record(i, 0));
        }
        state = DesiredState.of(records);
        store.write(state);
    }

    private static WorkspaceRecord record(int slot, int egressMbit) {
        return new WorkspaceRecord(WorkspaceId.of("ws-" + slot), "alice", "acme", slot, String.format("pcb%09d", slot),
                egressMbit, CREATED);
    }

    @Benchmark
    public DesiredState saveWithOneChange() {
        int slot = next++ % workspaces;
        state = state.with(record(slot, next % 2 == 0 ? 0 : 100));
        store.write(state);
        return state;
    }

    @TearDown(Level.Trial)
    public void removeFiles() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        }
    }
}
