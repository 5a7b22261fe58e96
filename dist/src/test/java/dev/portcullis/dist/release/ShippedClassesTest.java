package dev.portcullis.dist.release;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The release ships this module's runtime classpath (target/lib, /usr/share/portcullis/lib): the commands
 * (cli), the gateway, the agent and their libraries. The demo workspace app, the demo CA and the rest of the devkit are for the
 * demo, the tests and the load tests only, and must never be part of it. The test classpath holds the
 * runtime one, so a demo class that is not here is not in the package either.
 */
class ShippedClassesTest {
    @Test
    void theShippedPortcullisCodeHoldsNoDemoOrDevkitClass() {
        // dist has no code of its own, so its own target/classes may not exist
        List<Path> portcullisCode = classpath().filter(Files::exists).filter(ShippedClassesTest::isPortcullisModule).toList();
        assertThat(portcullisCode).as("the gateway's code on the release's classpath")
                .anyMatch(entry -> entry.toString().contains("gateway"));

        List<String> classes = portcullisCode.stream().flatMap(ShippedClassesTest::classFiles).toList();

        assertThat(classes).as("classes of the release's portcullis modules").contains("dev/portcullis/gateway/server/GatewayServer.class")
                .noneMatch(name -> name.startsWith("dev/portcullis/devkit/"))
                .noneMatch(name -> name.startsWith("dev/portcullis/gateway/demo/"))
                .noneMatch(name -> name.startsWith("dev/portcullis/demo/"))
                // the demo command itself ships: without the demo module it says how to get the demo
                .noneMatch(name -> !name.startsWith("dev/portcullis/cli/demo/DemoCommand")
                        && name.substring(name.lastIndexOf('/') + 1).startsWith("Demo"));
    }

    @Test
    void theDevkitIsNotOnTheReleasesClasspath() {
        assertThat(classpath().map(Path::toString))
                .noneMatch(entry -> entry.contains("portcullis-devkit") || entry.contains("/devkit/target/"))
                .noneMatch(entry -> entry.contains("portcullis-demo") || entry.contains("/demo/target/"));
    }

    private static Stream<Path> classpath() {
        return Stream.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator)).map(Path::of);
    }

    /** A portcullis module's jar (portcullis-*.jar) or, in a reactor build before packaging, its target/classes. */
    private static boolean isPortcullisModule(Path entry) {
        String name = entry.getFileName().toString();
        return (name.startsWith("portcullis-") && name.endsWith(".jar"))
                || (name.equals("classes") && entry.getParent() != null && entry.getParent().getFileName().toString().equals("target"));
    }

    private static Stream<String> classFiles(Path entry) {
        try {
            if (Files.isDirectory(entry)) {
                try (Stream<Path> files = Files.walk(entry)) {
                    return files.filter(file -> file.toString().endsWith(".class"))
                            .map(file -> entry.relativize(file).toString().replace('\\', '/')).toList().stream();
                }
            }
            List<String> names = new ArrayList<>();
            try (JarFile jar = new JarFile(entry.toFile())) {
                jar.stream().map(java.util.jar.JarEntry::getName).filter(name -> name.endsWith(".class")).forEach(names::add);
            }
            return names.stream();
        } catch (IOException e) {
            throw new UncheckedIOException("listing " + entry, e);
        }
    }
}
