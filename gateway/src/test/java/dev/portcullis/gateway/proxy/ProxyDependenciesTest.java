package dev.portcullis.gateway.proxy;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The server (composition root, listeners, pipeline configurator) builds on the proxy; the proxy
 * never reaches back into the server, so the two packages have no cycle (docs/architecture.md).
 */
class ProxyDependenciesTest {
    private static final JavaClasses GATEWAY = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.portcullis.gateway");

    @Test
    void proxyNeverDependsOnTheServer() {
        noClasses().that().resideInAPackage("dev.portcullis.gateway.proxy..")
                .should().dependOnClassesThat().resideInAPackage("dev.portcullis.gateway.server..")
                .check(GATEWAY);
    }
}
