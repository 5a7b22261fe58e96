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

        assertThat(GatewayMemory.heapKib(heapInfo))
                .containsExactly(15751, 116224 + 258048, 0x0000000687400000L, 0x0000000800000000L);
    }

    @Test
    void readsTheOneRegionHeapOfG1() {
        String heapInfo = """
                 garbage-first heap   total 262144K, used 10923K [0x0000000081000000, 0x0000000100000000)
                  region size 1024K, 3 young (3072K), 0 survivors (0K)
                 Metaspace       used 1234K, committed 1408K, reserved 1114112K
                """;

        assertThat(GatewayMemory.heapKib(heapInfo)).containsExactly(10923, 262144, 0x0000000081000000L, 0x0000000100000000L);
    }

    @Test
    void readsTheCommittedSizeOfG1AsJdk25PrintsIt() {
        String heapInfo = """
                garbage-first heap   total reserved 6172672K, committed 393216K, used 10867K [0x0000000687400000, 0x0000000800000000)
                 region size 4096K, 3 young (12288K), 1 survivors (4096K)
                """;

        assertThat(GatewayMemory.heapKib(heapInfo)).containsExactly(10867, 393216, 0x0000000687400000L, 0x0000000800000000L);
    }

    @Test
    void countsTheResidentPagesOfTheMappingsInsideTheHeapOnly() {
        String smaps = """
                687400000-68f210000 rw-p 00000000 00:00 0
                Size:             129080 kB
                Rss:               40000 kB
                704d50000-714950000 rw-p 00000000 00:00 0
                Size:             258048 kB
                Rss:               20000 kB
                7f2be8000000-7f2be9a58000 rw-p 00000000 00:00 0
                Size:              26976 kB
                Rss:               21768 kB
                """;

        assertThat(GatewayMemory.residentKibWithin(smaps, 0x0000000687400000L, 0x0000000800000000L)).isEqualTo(60000);
    }

    @Test
    void readsNativeMemoryTrackingCategoriesAndTotal() {
        String summary = """
                Native Memory Tracking:

                Total: reserved=7607567KB, committed=461523KB
                -                 Java Heap (reserved=6172672KB, committed=387136KB)
                                            (mmap: reserved=6172672KB, committed=387136KB)
                -                     Class (reserved=1048982KB, committed=3670KB)
                """;

        assertThat(GatewayMemory.nativeMemory(summary))
                .containsEntry("Total", 461523L).containsEntry("Java Heap", 387136L).containsEntry("Class", 3670L);
        assertThat(GatewayMemory.nativeMemory("Native memory tracking is not enabled")).isEmpty();
    }
}
