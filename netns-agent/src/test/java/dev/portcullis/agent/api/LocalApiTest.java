package dev.portcullis.agent.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.agent.api.AgentClient;
import dev.portcullis.agent.api.AgentClient.Reply;
import dev.portcullis.agent.daemon.AgentDaemon;
import dev.portcullis.agent.testing.RootNetworking;
import dev.portcullis.agent.testing.TestHost;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The daemon as the workspace runtime sees it: HTTP with JSON bodies on a unix socket. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LocalApiTest {

    private TestHost host;
    private AgentDaemon daemon;
    private AgentClient client;

    @BeforeAll
    void startDaemon() throws Exception {
        RootNetworking.assumeAvailable();
        host = new TestHost("10.213.24.0/30"); // two /31 slots
        daemon = AgentDaemon.start(host.config().build());
        client = new AgentClient(host.stateDir().resolve("agent.sock"));
    }

    @AfterEach
    void deleteWorkspaces() throws Exception {
        if (daemon != null) {
            for (String id : new String[] {"ws1", "ws2", "ws3"}) {
                client.send("DELETE", "/v1/workspaces/" + id, null);
            }
        }
    }

    @AfterAll
    void stopDaemon() {
        if (host == null) {
            return;
        }
        try {
            if (daemon != null) {
                daemon.agent().removeEverything();
                daemon.close();
            }
        } finally {
            host.close();
        }
    }

    private Reply create(String id, String owner) throws Exception {
        return client.send("POST", "/v1/workspaces", "{\"id\":\"" + id + "\",\"owner\":\"" + owner + "\",\"org\":\"acme\"}");
    }

    @Test
    void socketIsReadableAndWritableByItsOwnerOnly() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(host.stateDir().resolve("agent.sock"))))
                .isEqualTo("rw-------");
        try (var files = Files.list(host.stateDir())) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(name -> name.startsWith(".agent-api-"));
        }
    }

    @Test
    void createsGetsListsAndDeletesAWorkspace() throws Exception {
        Reply created = create("ws1", "alice");
        Reply got = client.send("GET", "/v1/workspaces/ws1", null);
        Reply listed = client.send("GET", "/v1/workspaces", null);
        Reply deleted = client.send("DELETE", "/v1/workspaces/ws1", null);
        Reply gone = client.send("GET", "/v1/workspaces/ws1", null);

        assertThat(created.status()).isEqualTo(201);
        assertThat(created.body()).contains("\"address\" : \"10.213.24.1\"").contains("\"inSync\" : true");
        assertThat(got.status()).isEqualTo(200);
        assertThat(listed.body()).contains("\"id\" : \"ws1\"");
        assertThat(deleted.status()).isEqualTo(204);
        assertThat(gone.status()).isEqualTo(404);
        assertThat(host.namespaces()).isEmpty();
    }

    @Test
    void repeatingACreateAnswersOkWithTheSameWorkspace() throws Exception {
        create("ws1", "alice");

        Reply again = create("ws1", "alice");

        assertThat(again.status()).isEqualTo(200);
        assertThat(again.body()).contains("\"address\" : \"10.213.24.1\"");
    }

    @Test
    void refusesADuplicateCreateWithOtherParametersAndChangesNothing() throws Exception {
        create("ws1", "alice");

        Reply conflict = create("ws1", "mallory");

        assertThat(conflict.status()).isEqualTo(409);
        assertThat(conflict.body()).contains("owner=alice");
        assertThat(client.send("GET", "/v1/workspaces/ws1", null).body()).contains("\"owner\" : \"alice\"");
    }

    @Test
    void refusesAnInvalidIdWithWhatIsExpected() throws Exception {
        Reply reply = create("WS_1", "alice");

        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.body()).contains("WS_1").contains("expected: 1-57 characters of a-z");
        assertThat(client.send("GET", "/v1/workspaces/..%2F", null).status()).isEqualTo(400);
    }

    @Test
    void refusesAnAddressOutsideTheRange() throws Exception {
        Reply reply = client.send("POST", "/v1/workspaces",
                "{\"id\":\"ws1\",\"owner\":\"alice\",\"org\":\"acme\",\"address\":\"192.0.2.1\"}");

        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.body()).contains("192.0.2.1").contains("10.213.24.0/30");
        assertThat(client.send("GET", "/v1/workspaces", null).body()).isEqualTo("[ ]");
    }

    @Test
    void refusesACreateWhenTheRangeIsFull() throws Exception {
        create("ws1", "alice");
        create("ws2", "alice");

        Reply full = create("ws3", "alice");

        assertThat(full.status()).isEqualTo(409);
        assertThat(full.body()).contains("is full");
    }

    @Test
    void refusesUnknownFieldsAndMalformedBodies() throws Exception {
        Reply unknown = client.send("POST", "/v1/workspaces", "{\"id\":\"ws1\",\"owner\":\"a\",\"org\":\"b\",\"root\":true}");
        Reply malformed = client.send("POST", "/v1/workspaces", "{\"id\":");
        Reply missingOwner = client.send("POST", "/v1/workspaces", "{\"id\":\"ws1\",\"org\":\"b\"}");

        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.body()).contains("unknown field 'root'");
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(missingOwner.status()).isEqualTo(400);
        assertThat(missingOwner.body()).contains("owner: null");
    }

    @Test
    void refusesAMissingIdWith400() throws Exception {
        Reply reply = client.send("POST", "/v1/workspaces", "{\"owner\":\"alice\",\"org\":\"acme\"}");

        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.body()).contains("id: null (expected: 1-57 characters");
    }

    @Test
    void refusesAFractionalEgressInsteadOfTruncatingIt() throws Exception {
        Reply reply = client.send("POST", "/v1/workspaces",
                "{\"id\":\"ws1\",\"owner\":\"alice\",\"org\":\"acme\",\"egressMbit\":1.5}");

        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.body()).contains("egressMbit: ").contains("1.5").contains("expected: a whole number of Mbit/s");
        assertThat(client.send("GET", "/v1/workspaces", null).body()).isEqualTo("[ ]");
        assertThat(host.namespaces()).isEmpty();
    }

    @Test
    void refusesAFractionalIngressInsteadOfTruncatingIt() throws Exception {
        Reply reply = client.send("POST", "/v1/workspaces",
                "{\"id\":\"ws1\",\"owner\":\"alice\",\"org\":\"acme\",\"ingressMbit\":1.5}");

        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.body()).contains("ingressMbit: ").contains("1.5").contains("expected: a whole number of Mbit/s");
        assertThat(client.send("GET", "/v1/workspaces", null).body()).isEqualTo("[ ]");
        assertThat(host.namespaces()).isEmpty();
    }

    @Test
    void refusesAWeightOutOfRangeNamingTheField() throws Exception {
        for (String weight : new String[] {"0", "101", "-1"}) {
            Reply reply = client.send("POST", "/v1/workspaces",
                    "{\"id\":\"ws1\",\"owner\":\"alice\",\"org\":\"acme\",\"weight\":" + weight + "}");

            assertThat(reply.status()).as(weight).isEqualTo(400);
            assertThat(reply.body()).contains("weight: " + weight + " (expected: 1-100, the workspace's share of the"
                    + " host's uplink next to the others'; 1 when not given)");
        }
        assertThat(host.namespaces()).isEmpty();
    }

    @Test
    void refusesAFractionalOrTextWeight() throws Exception {
        for (String weight : new String[] {"1.5", "\"heavy\""}) {
            Reply reply = client.send("POST", "/v1/workspaces",
                    "{\"id\":\"ws1\",\"owner\":\"alice\",\"org\":\"acme\",\"weight\":" + weight + "}");

            assertThat(reply.status()).as(weight).isEqualTo(400);
            assertThat(reply.body()).as(weight).contains("weight: ").contains("(expected: a whole number 1-100");
        }
        assertThat(host.namespaces()).isEmpty();
    }

    @Test
    void aWeightIsShownAndARepeatedCreateWithAnotherWeightIsAConflict() throws Exception {
        Reply created = client.send("POST", "/v1/workspaces",
                "{\"id\":\"ws1\",\"owner\":\"alice\",\"org\":\"acme\",\"weight\":3}");
        Reply other = client.send("POST", "/v1/workspaces", "{\"id\":\"ws1\",\"owner\":\"alice\",\"org\":\"acme\"}");

        assertThat(created.status()).isEqualTo(201);
        assertThat(created.body()).contains("\"weight\" : 3");
        assertThat(other.status()).isEqualTo(409);
        assertThat(other.body()).contains("weight=3");
    }

    @Test
    void refusesANegativeIngress() throws Exception {
        Reply reply = client.send("POST", "/v1/workspaces",
                "{\"id\":\"ws1\",\"owner\":\"alice\",\"org\":\"acme\",\"ingressMbit\":-1}");

        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.body()).contains("ingressMbit: -1 (expected: 0-100000, 0 = agent default)");
        assertThat(host.namespaces()).isEmpty();
    }

    @Test
    void answersUnknownPathsAndMethodsClearly() throws Exception {
        assertThat(client.send("GET", "/v2/things", null).status()).isEqualTo(404);
        assertThat(client.send("PUT", "/v1/workspaces", "{}").status()).isEqualTo(405);
    }

    @Test
    void statusSaysWhichShapingWasChosen() throws Exception {
        Reply status = client.send("GET", "/v1/status", null);

        assertThat(status.status()).isEqualTo(200);
        assertThat(status.body()).containsPattern("\"shaping\" : \"(HTB|TBF|NONE)\"").contains("\"tablePresent\" : true");
    }

    @Test
    void rulesShowTheRunningTable() throws Exception {
        assertThat(client.send("GET", "/v1/rules", null).body()).contains("table inet " + host.tableName());
    }

    @Test
    void reconcileOnRequestSaysWhatItRepaired() throws Exception {
        create("ws1", "alice");
        new dev.portcullis.agent.kernel.ProcessCommandRunner().check("ip", "netns", "add", host.namespacePrefix() + "ghost");

        Reply reply = client.send("POST", "/v1/reconcile", null);

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.body()).contains("deleted orphan namespace " + host.namespacePrefix() + "ghost");
    }

    @Test
    void aSecondDaemonOnTheSameStateIsRefused() {
        assertThatThrownBy(() -> AgentDaemon.start(host.config().build()))
                .hasMessageContaining("another running agent");
    }
}
