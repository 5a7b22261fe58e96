package dev.portcullis.agent.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.agent.testing.RootNetworking;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * nftables scripts given to {@code nft -f -} go to one long-lived {@code nft -i}: the same
 * transaction (all or nothing), the same answer, nft's own error when it fails, and a new process
 * when the old one is gone.
 */
class NftSessionTest {

    private static final List<String> NFT_SCRIPT = List.of("nft", "-f", "-");
    private final String table = "pcks_" + ProcessHandle.current().pid();
    private final ProcessCommandRunner commands = new ProcessCommandRunner();

    @AfterEach
    void removeTable() {
        if ("root".equals(System.getProperty("user.name"))) {
            commands.run("nft", "delete", "table", "inet", table);
        }
    }

    @Test
    void aScriptOfOneLineCommandsBecomesOneLine() {
        assertThat(NftSession.asOneLine("add element inet t s { 1.2.3.4 }\n\nadd element inet t u { \"pc1\" . 1.2.3.4 }\n"))
                .hasValue("add element inet t s { 1.2.3.4 }; add element inet t u { \"pc1\" . 1.2.3.4 }");
    }

    @Test
    void aScriptWithABlockACommentOrASemicolonIsLeftToNftF() {
        assertThat(NftSession.asOneLine("table inet t {\n  set s { type ipv4_addr; }\n}\n")).isEmpty();
        assertThat(NftSession.asOneLine("# a comment\nadd element inet t s { 1.2.3.4 }\n")).isEmpty();
        assertThat(NftSession.asOneLine("add element inet t s { 1.2.3.4 }; delete table inet t\n")).isEmpty();
        assertThat(NftSession.asOneLine("\n\n")).isEmpty();
    }

    @Test
    void elementsGoInAsOneTransactionWithoutANewProcess() {
        RootNetworking.assumeAvailable();
        createTable();
        long before = nftChildren();

        for (int i = 1; i <= 5; i++) {
            commands.check(NFT_SCRIPT, "add element inet " + table + " addrs { 10.9.0." + i + " }\n"
                    + "add element inet " + table + " names { \"pc" + i + "\" }\n");
        }

        assertThat(set("addrs")).contains("10.9.0.1", "10.9.0.5");
        assertThat(set("names")).contains("\"pc1\"", "\"pc5\"");
        assertThat(nftChildren()).as("one long-lived nft -i, not one nft per script").isEqualTo(before + 1);
    }

    @Test
    void aFailedScriptChangesNothingAndSaysWhatNftSaid() {
        RootNetworking.assumeAvailable();
        createTable();

        assertThatThrownBy(() -> commands.check(NFT_SCRIPT, "add element inet " + table + " addrs { 10.9.0.7 }\n"
                + "add element inet " + table + " nosuchset { 10.9.0.8 }\n"))
                .isInstanceOf(CommandFailedException.class)
                .hasMessageStartingWith("'nft -f -' exited 1: Error: No such file or directory")
                .hasMessageContaining("nosuchset");
        assertThat(set("addrs")).as("the first command of the failed transaction did not go in").doesNotContain("10.9.0.7");

        commands.check(NFT_SCRIPT, "add element inet " + table + " addrs { 10.9.0.9 }\n");
        assertThat(set("addrs")).as("the session answers in step after a failure").contains("10.9.0.9");
    }

    /**
     * Scripts that queue while a transaction runs go in together as the next one: twelve callers
     * held behind the session cost one transaction; when one of them is bad, the shared one fails
     * whole and each script runs on its own, so the bad one gets nft's error and the others go in.
     */
    @Test
    void scriptsThatQueueGoInAsOneTransactionAndABadOneFailsAlone() throws Exception {
        RootNetworking.assumeAvailable();
        createTable();
        NftSession session = new NftSession(java.time.Duration.ofSeconds(20));
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            session.run("add element inet " + table + " addrs { 10.9.1.250 }"); // the process runs
            for (boolean withABadOne : new boolean[] {false, true}) {
                long before = session.transactions();
                List<java.util.concurrent.Future<CommandResult>> calls = new java.util.ArrayList<>();
                session.lock.lock();
                try {
                    for (int i = 1; i <= 12; i++) {
                        String set = withABadOne && i % 6 == 0 ? "nosuchset" : "addrs";
                        String line = "add element inet " + table + " " + set + " { 10.9." + (withABadOne ? 3 : 2) + "." + i + " }";
                        calls.add(pool.submit(() -> session.run(line)));
                    }
                    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() -> session.queued() == 12);
                } finally {
                    session.lock.unlock();
                }
                for (int i = 1; i <= 12; i++) {
                    CommandResult result = calls.get(i - 1).get(20, java.util.concurrent.TimeUnit.SECONDS);
                    if (withABadOne && i % 6 == 0) {
                        assertThat(result.ok()).isFalse();
                        assertThat(result.stderr()).contains("nosuchset").contains("10.9.3." + i);
                    } else {
                        assertThat(result.ok()).as(result.stderr()).isTrue();
                    }
                }
                String addrs = set("addrs");
                if (withABadOne) {
                    assertThat(addrs).contains("10.9.3.1", "10.9.3.5", "10.9.3.7", "10.9.3.11").doesNotContain("10.9.3.6");
                    assertThat(session.transactions() - before).as("the shared one, then each on its own").isEqualTo(13);
                } else {
                    assertThat(addrs).contains("10.9.2.1", "10.9.2.12");
                    assertThat(session.transactions() - before).as("twelve queued scripts, one transaction").isEqualTo(1);
                }
            }
        } finally {
            session.close();
        }
    }

    @Test
    void aKilledSessionIsReplacedForTheNextScript() {
        RootNetworking.assumeAvailable();
        createTable();
        commands.check(NFT_SCRIPT, "add element inet " + table + " addrs { 10.9.0.1 }\n");
        ProcessHandle.current().children().filter(NftSessionTest::isNftSession).forEach(ProcessHandle::destroyForcibly);

        CommandResult first = commands.run(NFT_SCRIPT, "add element inet " + table + " addrs { 10.9.0.2 }\n");
        if (!first.ok()) {
            assertThat(first.stderr()).contains("long-lived 'nft -i'"); // it died while the script was on its way
            commands.check(NFT_SCRIPT, "add element inet " + table + " addrs { 10.9.0.2 }\n");
        }

        assertThat(set("addrs")).contains("10.9.0.1", "10.9.0.2");
    }

    private void createTable() {
        commands.check(NFT_SCRIPT, "table inet " + table + " {\n  set addrs { type ipv4_addr; }\n"
                + "  set names { type ifname; }\n}\n");
    }

    private String set(String name) {
        return commands.check("nft", "list", "set", "inet", table, name).stdout();
    }

    private static long nftChildren() {
        return ProcessHandle.current().children().filter(NftSessionTest::isNftSession).count();
    }

    private static boolean isNftSession(ProcessHandle process) {
        return process.info().commandLine().map(line -> line.endsWith("nft -i")).orElse(false);
    }
}
