package dev.portcullis.gateway.testing;

import static java.util.Objects.requireNonNull;

import dev.portcullis.gateway.access.AccessState;
import dev.portcullis.gateway.auth.DevelopmentIssuer;
import dev.portcullis.gateway.auth.IdentityVerifierConfig;
import dev.portcullis.gateway.config.GatewayConfig;
import dev.portcullis.gateway.transport.Transport;
import dev.portcullis.policy.WorkspaceId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real gateway, with its demo CA and demo workspace app, for a whole test class instead of one per test
 * (Armeria's {@code ServerExtension} is the model):
 *
 * <pre>{@code
 * @RegisterExtension
 * static final GatewayExtension GATEWAY = GatewayExtension.builder()
 *         .configure((config, state) -> config.identity(...))
 *         .resetAccessAfterEachTest()
 *         .build();
 *
 * @BeforeEach
 * void start() { gateway = GATEWAY.fixture(); }
 * }</pre>
 *
 * The gateway starts before the class's first test and stops after its last; in an {@link OnEveryTransport}
 * class it starts once per transport, on the transport in the test's {@code Transport} field (a transport the
 * machine lacks is skipped, saying why), else on {@link Transport#best()}. Its state folder (CA, issuer key, access
 * files) is a temporary folder of its own, {@link #stateDir()}, removed when it stops.
 *
 * <p>Only for classes whose tests do not need a fresh gateway: what one test changes that the next would see
 * (shares and policies of the fixture's workspace with {@link Builder#resetAccessAfterEachTest()}, or anything with
 * {@link Builder#afterEachTest}) is put back after each test; a test that restarts or stops the gateway, or checks
 * gateway-wide counts from zero, keeps its own {@link GatewayFixture}.
 */
public final class GatewayExtension implements BeforeEachCallback, AfterEachCallback {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(GatewayExtension.class);

    /** Changes the config before the gateway is built; {@code stateDir} is where it keeps its files. */
    @FunctionalInterface
    public interface Configuration {
        void configure(GatewayConfig.Builder config, Path stateDir) throws Exception;

        /**
         * Trusts the development issuer whose key is kept in the state folder's {@code issuer/}: a test
         * mints its tokens with {@code DevelopmentIssuer.loadOrCreate(GATEWAY.stateDir().resolve("issuer"))}.
         */
        static Configuration trustingTheDevelopmentIssuer() {
            return (config, stateDir) -> config.identity(IdentityVerifierConfig.builder()
                    .issuer(DevelopmentIssuer.loadOrCreate(stateDir.resolve("issuer")).issuerConfig()).build());
        }
    }

    /** Puts back, after a test, what it changed in the running gateway. */
    @FunctionalInterface
    public interface Reset {
        void reset(GatewayFixture gateway) throws Exception;
    }

    private final Configuration configuration;
    private final List<Reset> resets;
    private Running current;

    private GatewayExtension(Builder builder) {
        this.configuration = builder.configuration;
        this.resets = List.copyOf(builder.resets);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The gateway of the running test's class (or transport, in an {@link OnEveryTransport} class). */
    public GatewayFixture fixture() {
        return running().fixture;
    }

    /** The gateway's state folder: {@code tls/ca.pem}, and the issuer key or access files the configuration put there. */
    public Path stateDir() {
        return running().stateDir;
    }

    private Running running() {
        if (current == null) {
            throw new IllegalStateException("no gateway is running (expected: called from a test, or its @BeforeEach,"
                    + " of a class that registers this extension as a static @RegisterExtension field)");
        }
        return current;
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        ExtensionContext classScope = classScopeOf(context);
        Transport transport = transportOf(context.getRequiredTestInstance());
        // Stored in the class's (or the transport's class invocation's) context: JUnit closes it when that ends.
        current = classScope.getStore(NAMESPACE).getOrComputeIfAbsent(this, key -> start(transport), Running.class);
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        Running running = current;
        current = null;
        if (running == null) {
            return;
        }
        for (Reset reset : resets) {
            reset.reset(running.fixture);
        }
    }

    private Running start(Transport transport) {
        Path stateDir;
        try {
            stateDir = Files.createTempDirectory("portcullis-gateway-test");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            GatewayFixture fixture = GatewayFixture.start(transport, stateDir, config -> {
                try {
                    configuration.configure(config, stateDir);
                } catch (RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new IllegalStateException("configuring the test gateway failed: " + e.getMessage(), e);
                }
            });
            return new Running(fixture, stateDir);
        } catch (Exception e) {
            deleteTree(stateDir);
            if (e instanceof RuntimeException runtime) {
                throw runtime; // including the skip of a missing transport
            }
            throw new IllegalStateException("starting the test gateway on " + transport.configName() + " failed", e);
        }
    }

    /** The nearest enclosing context of a class: the class itself, or one invocation of a parameterized class. */
    private static ExtensionContext classScopeOf(ExtensionContext context) {
        ExtensionContext scope = context;
        while (scope.getTestMethod().isPresent()) {
            scope = scope.getParent().orElseThrow();
        }
        return scope;
    }

    /** The test's {@code Transport} field (an {@link OnEveryTransport} class's parameter), else the best one. */
    private static Transport transportOf(Object testInstance) {
        for (Class<?> type = testInstance.getClass(); type != Object.class; type = type.getSuperclass()) {
            for (Field field : type.getDeclaredFields()) {
                if (field.getType() == Transport.class && !java.lang.reflect.Modifier.isStatic(field.getModifiers())) {
                    try {
                        field.setAccessible(true);
                        Transport transport = (Transport) field.get(testInstance);
                        if (transport != null) {
                            return transport;
                        }
                    } catch (IllegalAccessException e) {
                        throw new IllegalStateException("reading " + field, e);
                    }
                }
            }
        }
        return Transport.best();
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            // a temp folder left behind is harmless; the test's result must not depend on it
        }
    }

    private record Running(GatewayFixture fixture, Path stateDir) implements AutoCloseable {
        @Override
        public void close() {
            try {
                fixture.close();
            } finally {
                deleteTree(stateDir);
            }
        }
    }

    public static final class Builder {
        private Configuration configuration = (config, stateDir) -> { };
        private final List<Reset> resets = new ArrayList<>();

        private Builder() {}

        /** How this class's gateway differs from {@link GatewayFixture}'s default config. */
        public Builder configure(Configuration configuration) {
            this.configuration = requireNonNull(configuration, "configuration");
            return this;
        }

        /** Runs {@code reset} after every test, so the next one finds the gateway as it started. */
        public Builder afterEachTest(Reset reset) {
            resets.add(requireNonNull(reset, "reset"));
            return this;
        }

        /**
         * After every test, removes the shares of the fixture's workspace ({@link GatewayFixture#WORKSPACE}) and every
         * org policy a test put, so each test starts from the gateway's defaults.
         */
        public Builder resetAccessAfterEachTest() {
            return afterEachTest(gateway -> gateway.server().accessState().ifPresent(GatewayExtension::clearAccess));
        }

        public GatewayExtension build() {
            return new GatewayExtension(this);
        }
    }

    private static void clearAccess(AccessState access) {
        WorkspaceId workspace = WorkspaceId.of(GatewayFixture.WORKSPACE);
        access.current().sharesOf(workspace.value()).all()
                .forEach(share -> access.deleteShare(workspace, share.port()));
        List.copyOf(access.current().policies().keySet()).forEach(access::deletePolicy);
    }
}
