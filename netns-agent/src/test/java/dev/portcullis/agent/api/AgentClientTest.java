package dev.portcullis.agent.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AgentClientTest {
    @Test
    void encodesEveryPathSegmentByteThatIsNotUnreserved() {
        assertThat(AgentClient.pathSegment("ws-1.a_b~")).isEqualTo("ws-1.a_b~");
        assertThat(AgentClient.pathSegment("ws1?x=1#y/ä\r\n")).isEqualTo("ws1%3Fx%3D1%23y%2F%C3%A4%0D%0A");
    }
}
