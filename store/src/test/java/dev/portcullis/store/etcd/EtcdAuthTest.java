package dev.portcullis.store.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portcullis.store.KeyValueStore;
import dev.portcullis.store.StoreSettings;
import dev.portcullis.store.StoreUnavailableException;
import io.etcd.jetcd.Auth;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.auth.Permission;
import io.etcd.jetcd.options.OptionsUtil;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real etcd with auth enabled (set up through jetcd's Auth client, as {@code etcdctl user add},
 * {@code role grant-permission} and {@code auth enable} would): user {@code portcullis} may read and
 * write {@code /portcullis/} and nothing else. The password comes from a file.
 */
class EtcdAuthTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(3);
    private static final String PREFIX = "/portcullis/";

    private static Path folder;
    private static EtcdCluster etcd;

    @BeforeAll
    static void start() throws Exception {
        EtcdCluster.assumeEtcdInstalled();
        folder = Files.createTempDirectory("portcullis-etcd-auth-");
        etcd = EtcdCluster.start(1);
        try (Client admin = Client.builder().endpoints(etcd.endpoints().toArray(String[]::new)).build()) {
            Auth auth = admin.getAuthClient();
            auth.roleAdd(bytes("root")).get(5, TimeUnit.SECONDS);
            auth.userAdd(bytes("root"), bytes("root-secret")).get(5, TimeUnit.SECONDS);
            auth.userGrantRole(bytes("root"), bytes("root")).get(5, TimeUnit.SECONDS);
            auth.roleAdd(bytes("portcullis")).get(5, TimeUnit.SECONDS);
            auth.roleGrantPermission(bytes("portcullis"), bytes(PREFIX), OptionsUtil.prefixEndOf(bytes(PREFIX)),
                    Permission.Type.READWRITE).get(5, TimeUnit.SECONDS);
            auth.userAdd(bytes("portcullis"), bytes("s3cret pass")).get(5, TimeUnit.SECONDS);
            auth.userGrantRole(bytes("portcullis"), bytes("portcullis")).get(5, TimeUnit.SECONDS);
            auth.authEnable().get(5, TimeUnit.SECONDS);
        }
    }

    @AfterAll
    static void stop() {
        if (etcd != null) {
            etcd.close();
        }
    }

    private static ByteSequence bytes(String text) {
        return ByteSequence.from(text, UTF_8);
    }

    private static StoreSettings signingInAs(String user, String password) throws Exception {
        Path file = Files.createTempFile(folder, "password-", "");
        Files.writeString(file, password + "\n");
        return StoreSettings.etcd(etcd.endpoints()).withTimeout(TIMEOUT).withUser(new EtcdUser(user, file));
    }

    private static void roundTrip(StoreSettings settings) {
        try (KeyValueStore store = settings.open()) {
            long revision = store.put(PREFIX + "v1/auth-test", "ok".getBytes(UTF_8), KeyValueStore.ANY_REVISION, 0);
            assertThat(store.range(PREFIX + "v1/auth-test").revision()).isGreaterThanOrEqualTo(revision);
        }
    }

    @Test
    void theRightPasswordFromItsFileSignsIn() throws Exception {
        roundTrip(signingInAs("portcullis", "s3cret pass"));
    }

    @Test
    void aWrongPasswordIsRefusedWithAClearErrorThatDoesNotShowIt() throws Exception {
        assertThatThrownBy(() -> roundTrip(signingInAs("portcullis", "guess")))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("authentication failed")
                .hasMessageContaining("etcd refused the password of user 'portcullis'")
                .hasMessageContaining("store.etcd.auth.passwordFile")
                .message().doesNotContain("guess");
    }

    @Test
    void noCredentialsAreRefused() {
        assertThatThrownBy(() -> roundTrip(StoreSettings.etcd(etcd.endpoints()).withTimeout(TIMEOUT)))
                .isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("signs in as no one: set store.etcd.auth.user");
    }
}
