package dev.portcullis.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GatewayMemoryTest {

    @Test
    void sumsTheGenerationsOfASerialHeapAndIgnoresSpacesAndMetaspace() {
        String heapInfo = """
                15959:
                DefNew     total 116224K, used 120K [0x0000000687400000, 0x000000068f210000, 0x0000000704d50000)
                 eden space 103360K,   0% used [0x0000000687400000, 0x0000000687400000, 0x000000068d8f0000)
                 from space 12864K,   0% used [0x000000068d8f0000, 0x000000068d8f0000, 0x000000068e580000)
                Tenured    total 258048K, used 15631K [0x0000000704d50000, 0x0000000714950000, 0x0000000800000000)
                 the  space 258048K,   6% used [0x0000000704d50000, 0x0000000705c93c30, 0x0000000714950000)
                 Metaspace       used 21436K, committed 21760K, reserved 1114112K
                  class space    used 2372K, committed 2496K, reserved 1048576K
                """;

        assertThat(GatewayMemory.heapUsedKib(heapInfo)).isEqualTo(15751);
    }

    @Test
    void readsTheOneRegionHeapOfG1() {
        String heapInfo = """
                 garbage-first heap   total 262144K, used 10923K [0x0000000081000000, 0x0000000100000000)
                  region size 1024K, 3 young (3072K), 0 survivors (0K)
                 Metaspace       used 1234K, committed 1408K, reserved 1114112K
                """;

        assertThat(GatewayMemory.heapUsedKib(heapInfo)).isEqualTo(10923);
    }
}
