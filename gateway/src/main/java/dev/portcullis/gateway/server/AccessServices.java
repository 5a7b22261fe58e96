package dev.portcullis.gateway.server;

import dev.portcullis.gateway.access.AccessControl;
import dev.portcullis.gateway.access.AccessRecords;
import dev.portcullis.gateway.access.AccessSnapshot;
import dev.portcullis.gateway.access.AccessState;
import dev.portcullis.gateway.access.IdentityAssertions;
import dev.portcullis.gateway.access.LocalAccessRecords;
import dev.portcullis.gateway.access.OpenGrants;
import dev.portcullis.gateway.admin.AccessApi;
import dev.portcullis.gateway.console.Console;
import dev.portcullis.gateway.console.KnownPorts;
import dev.portcullis.gateway.admin.HostRoutesApi;
import dev.portcullis.gateway.auth.IdentityVerifier;
import dev.portcullis.gateway.auth.LocalKeys;
import dev.portcullis.gateway.config.AccessSettings;
import dev.portcullis.gateway.config.GatewayConfig;
import dev.portcullis.gateway.observe.AuditLog;
import dev.portcullis.gateway.observe.GatewayMetrics;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.signin.Sessions;
import dev.portcullis.gateway.signin.SignIn;
import dev.portcullis.gateway.signin.SignInSecrets;
import dev.portcullis.gateway.signin.SignInSettings;
import dev.portcullis.gateway.store.StoreConnection;
import dev.portcullis.store.embedded.EmbeddedStore;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything access control is made of when identity issuers are configured, built once from the
 * config: identity, the policy state, the grants registry (every change of shares or policies
 * re-decides the open connections at once), the admin's access API, identity assertions, browser
 * sessions and the sign-in. Each part is handed to {@link ServerResources} as it is built, which
 * closes them in reverse.
 */
final class AccessServices {
    private static final Logger log = LoggerFactory.getLogger(AccessServices.class);

    final AccessState accessState; // null with a store: the store holds policies and shares
    final OpenGrants grants;
    final AccessApi accessApi;
    final HostRoutesApi hostRoutesApi; // null unless a store is shared with hosts that publish routes
    final IdentityAssertions assertions;
    final Sessions sessions;
    final AccessControl control;

    /**
     * @param store the gateway's store, or null for policies and shares on disk or in memory
     * @param accessMayNarrow told the grants registry, once built, to run on every change that may end access
     */
    AccessServices(GatewayConfig config, Supplier<RouteTable> routes, StoreConnection store, GatewayMetrics metrics,
                   ServerResources resources, ServerResources.Signal accessMayNarrow) throws IOException {
        AccessSettings settings = config.access();
        Supplier<AccessSnapshot> access;
        AccessRecords records;
        if (store != null) {
            accessState = null;
            access = store::access;
            records = store.accessRecords();
            log.info("Access control: enforced; policies and shares in {}", config.store().get());
        } else {
            accessState = settings.stateDirectory().isPresent()
                    ? AccessState.open(settings.stateDirectory().get(), settings.fallbackPolicy())
                    : AccessState.inMemory(settings.fallbackPolicy());
            access = accessState::current;
            records = new LocalAccessRecords(accessState);
            log.info("Access control: enforced; policies and shares {}", settings.stateDirectory()
                    .map(dir -> "in " + dir).orElse("in memory only (lost at restart)"));
        }
        if (GatewayServer.developmentIssuerKeys(config).isPresent()) {
            log.warn("DEVELOPMENT ISSUER ON: tokens minted with './portcullis token' from a key on this machine are"
                    + " trusted. Anyone who can read that key can be anyone. Never in production.");
        }
        IdentityVerifier identity = resources.add("identity", IdentityVerifier.create(config.identity().get()));
        AuditLog audit = new AuditLog(metrics);
        grants = resources.add("grants", new OpenGrants(routes, access, audit, Clock.systemUTC()));
        accessMayNarrow.then(grants::revalidate);
        if (accessState != null) {
            accessState.addListener(changed -> grants.revalidate());
        }
        accessApi = resources.add("access API", new AccessApi(identity, records, routes, config.baseDomains(),
                settings.adminClaim(), Clock.systemUTC(), audit));
        if (store != null && !config.hostRouteRanges().isEmpty()) {
            // Agents on machines without a store of their own (the embedded store is this process's file) publish here.
            hostRoutesApi = resources.add("host routes API",
                    new HostRoutesApi(identity, store.controlPlane(), config.hostRouteRanges()));
        } else {
            hostRoutesApi = null;
        }
        assertions = new IdentityAssertions(settings.assertionKeyFile().isPresent()
                ? LocalKeys.loadOrCreateEc(settings.assertionKeyFile().get(), "gateway")
                : LocalKeys.newEcKey("gateway"), settings.assertionLifetime(), Clock.systemUTC());
        sessions = openSessions(config, store, identity);
        sessions.onSessionEnded(grants::endSession); // a session ended on any gateway: its tunnels here close
        sessions.keepAliveWhileInUse(grants::sessionsInUse); // an open tunnel is use: no idle end under it
        accessApi.endSessionsWith((org, user) -> sessions.endAllOf(org, user).join()); // a person removed from an org
        SignIn signIn = null;
        if (config.signIn().isPresent()) {
            SignInSettings signInSettings = config.signIn().get();
            SignInSecrets secrets = signInSettings.keyFile().isPresent()
                    ? SignInSecrets.loadOrCreate(signInSettings.keyFile().get()) : SignInSecrets.random();
            signIn = new SignIn(signInSettings, config.baseDomains(), secrets, sessions, identity);
            log.info("Browser sign-in: {} as client '{}' ({}); login host {}", signInSettings.issuer(),
                    signInSettings.clientId(), signInSettings.clientAuth(),
                    config.baseDomains().stream().map(signInSettings::loginHost).toList());
        }
        // The sign-in closes the sessions it was given; without one, they close on their own.
        resources.add("sessions", signIn != null ? signIn : sessions);
        // The console lives on the login host and signs in through it: only with a sign-in.
        Optional<Console> console = Optional.ofNullable(signIn).map(in -> new Console(in, identity, accessApi, records, routes,
                grants, new KnownPorts(access), audit.recent(), Clock.systemUTC()));
        control = new AccessControl(identity, access, audit, grants, sessions, assertions, Optional.ofNullable(signIn),
                console);
    }

    /**
     * Sessions and one-time records live in the gateway's store when it has one (shared by every
     * gateway); otherwise in the sign-in's state file, or in memory.
     */
    private static Sessions openSessions(GatewayConfig config, StoreConnection store, IdentityVerifier identity) {
        Clock clock = config.signIn().map(SignInSettings::clock).orElse(Clock.systemUTC());
        if (store != null) {
            return new Sessions(store.controlPlane().keyValues(), false, clock, identity);
        }
        Optional<Path> file = config.signIn().flatMap(SignInSettings::stateFile)
                .or(() -> config.access().stateDirectory().map(dir -> dir.resolve("signin-store.json")));
        if (file.isPresent()) {
            log.info("Sessions and one-time links in {}", file.get());
            return new Sessions(EmbeddedStore.open(file.get()), true, clock, identity);
        }
        log.info("Sessions and one-time links in memory only (lost at restart; configure a store or signin.stateFile)");
        return new Sessions(EmbeddedStore.inMemory(), true, clock, identity);
    }
}
