package dev.portcullis.testkit.browser;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * A real browser for tests: Debian's {@code chromium} driven by its {@code chromedriver}, headless,
 * with a fresh profile that is deleted on close. One instance is one browser profile, so two
 * instances are two people (separate cookie jars).
 *
 * <p>The flags are the ones that make Chromium quiet on a machine without an outside network: no
 * background networking, component updates, sync or QUIC, so every connection it opens is one the
 * test asked for. Certificates are checked as a browser checks them unless the test names the SPKI
 * hash of the certificate authority's key it trusts ({@link Builder#trustingSpki}); Chromium then
 * treats the site as a secure context, so {@code __Host-} cookies behave as in production.
 */
public final class HeadlessChromium implements AutoCloseable {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

  private final ChromeDriver driver;
  private final Path profile;

  private HeadlessChromium(ChromeDriver driver, Path profile) {
    this.driver = driver;
    this.profile = profile;
  }

  /** Why no browser can run here, or empty when Chromium and its driver are installed. */
  public static Optional<String> unavailableReason() {
    if (!Files.isExecutable(CHROMIUM)) {
      return Optional.of(CHROMIUM + " is missing (install Debian's chromium; .ci/run does)");
    }
    if (!Files.isExecutable(CHROMEDRIVER)) {
      return Optional.of(CHROMEDRIVER + " is missing (install Debian's chromium-driver; .ci/run does)");
    }
    return Optional.empty();
  }

  /** Skips the calling test, saying why, when no browser can run here. CI installs one. */
  public static void assumeAvailable() {
    Optional<String> reason = unavailableReason();
    Assumptions.assumeTrue(reason.isEmpty(), () -> "no headless browser: " + reason.orElseThrow());
  }

  /**
   * The SPKI hash Chromium's {@code --ignore-certificate-errors-spki-list} takes for this
   * certificate's key: base64 of the SHA-256 of its DER SubjectPublicKeyInfo.
   */
  public static String spkiSha256(X509Certificate certificate) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(certificate.getPublicKey().getEncoded());
      return Base64.getEncoder().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Starts a browser with the defaults: every certificate checked, window 1280 x 900. */
  public static HeadlessChromium start() {
    return builder().start();
  }

  public ChromeDriver driver() {
    return driver;
  }

  /** The profile folder of this browser (its cookies, storage and downloads). */
  public Path profile() {
    return profile;
  }

  @Override
  public void close() {
    try {
      driver.quit();
    } finally {
      deleteTree(profile);
    }
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      // A profile left in the temp folder is harmless; the test's result is what matters.
    }
  }

  public static final class Builder {
    private final List<String> trustedSpkiHashes = new ArrayList<>();
    private final List<String> extraArguments = new ArrayList<>();
    private int width = 1280;
    private int height = 900;
    private Duration pageLoadTimeout = Duration.ofSeconds(60);

    private Builder() {}

    /**
     * Trusts certificates whose chain contains a key with this SPKI hash (base64 of the SHA-256
     * of the DER SubjectPublicKeyInfo), as {@code --ignore-certificate-errors-spki-list} does:
     * the test's own CA, never every certificate.
     */
    public Builder trustingSpki(String base64Sha256) {
      trustedSpkiHashes.add(requireNonNull(base64Sha256, "base64Sha256"));
      return this;
    }

    /** A Chromium command-line switch, e.g. {@code --host-resolver-rules=...}. */
    public Builder argument(String argument) {
      extraArguments.add(requireNonNull(argument, "argument"));
      return this;
    }

    /** The window size; a phone is e.g. 390 x 844. */
    public Builder windowSize(int width, int height) {
      if (width < 100 || height < 100) {
        throw new IllegalArgumentException("window: " + width + "x" + height + " (expected: at least 100x100)");
      }
      this.width = width;
      this.height = height;
      return this;
    }

    public Builder pageLoadTimeout(Duration timeout) {
      this.pageLoadTimeout = requireNonNull(timeout, "timeout");
      return this;
    }

    public HeadlessChromium start() {
      assumeAvailable();
      Path profile;
      try {
        profile = Files.createTempDirectory("portcullis-chromium-");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      ChromeOptions options = new ChromeOptions();
      options.setBinary(CHROMIUM.toFile());
      options.addArguments(
          "--headless=new",
          // Root in CI: Chromium's sandbox refuses to run as root without this.
          "--no-sandbox",
          "--disable-gpu",
          "--disable-dev-shm-usage",
          // No connection the test did not ask for (the machine has no outside network).
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--disable-default-apps",
          "--user-data-dir=" + profile,
          "--window-size=" + width + "," + height);
      if (!trustedSpkiHashes.isEmpty()) {
        options.addArguments("--ignore-certificate-errors-spki-list=" + String.join(",", trustedSpkiHashes));
      }
      options.addArguments(extraArguments);
      ChromeDriverService service =
          new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
      ChromeDriver driver;
      try {
        driver = new ChromeDriver(service, options);
      } catch (RuntimeException e) {
        deleteTree(profile);
        throw e;
      }
      driver.manage().timeouts().pageLoadTimeout(pageLoadTimeout);
      return new HeadlessChromium(driver, profile);
    }
  }
}
