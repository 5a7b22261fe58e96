package dev.portcullis.testkit.browser;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
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
 *
 * <p>As root (CI) each browser runs in a network namespace of its own ({@link BrowserNamespace}):
 * Chromium drops a page load in flight when a host interface appears or goes away
 * (ERR_NETWORK_CHANGED), and other tests add and remove workspace veths on the host all the time.
 * Inside, it sees only its loopback and one veth, and reaches the host through a SOCKS relay on the
 * veth's host end that connects only to loopback and to addresses the test names ({@link
 * Builder#reaching}); {@code --host-resolver-rules} and {@code *.localhost} work as before, and the
 * servers see the browser's connections come from loopback. Without root or {@code ip}, or with
 * {@code -Dportcullis.browser.netns=false}, it runs on the host's network and says so once in the log.
 */
public final class HeadlessChromium implements AutoCloseable {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  /** {@code false} runs every browser on the host's network. */
  public static final String NETNS_PROPERTY = "portcullis.browser.netns";
  private static final Logger LOG = System.getLogger(HeadlessChromium.class.getName());
  /**
   * Selenium looks for Chromium's DevTools endpoint on {@code localhost}, which for a namespaced
   * browser is the namespace's loopback, and warns on every start that it cannot reach it. No test
   * uses that connection (CDP commands go through chromedriver), so its warnings are turned off; the
   * logger is held here because the JDK's logging keeps only weak references to it.
   */
  private static final java.util.logging.Logger CDP_ENDPOINT_FINDER =
      java.util.logging.Logger.getLogger("org.openqa.selenium.devtools.CdpEndpointFinder");
  private static volatile Optional<String> hostNetworkReason;

  private final ChromeDriver driver;
  private final Path profile;
  private final Optional<BrowserNamespace> namespace;
  private final Optional<LoopbackSocksRelay> relay;

  private HeadlessChromium(ChromeDriver driver, Path profile, Optional<BrowserNamespace> namespace,
      Optional<LoopbackSocksRelay> relay) {
    this.driver = driver;
    this.profile = profile;
    this.namespace = namespace;
    this.relay = relay;
  }

  /**
   * Why browsers run on the host's network here (not root, no {@code ip}, turned off by {@value
   * #NETNS_PROPERTY}), or empty when each gets a namespace of its own. Decided once per JVM.
   */
  public static Optional<String> hostNetworkReason() {
    Optional<String> reason = hostNetworkReason;
    if (reason == null) {
      synchronized (HeadlessChromium.class) {
        if (hostNetworkReason == null) {
          hostNetworkReason = whyNotNamespaced();
          hostNetworkReason.ifPresent(HeadlessChromium::logHostNetwork);
        }
        reason = hostNetworkReason;
      }
    }
    return reason;
  }

  private static Optional<String> whyNotNamespaced() {
    if ("false".equalsIgnoreCase(System.getProperty(NETNS_PROPERTY))) {
      return Optional.of("-D" + NETNS_PROPERTY + "=false");
    }
    try {
      Process id = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
      String uid = new String(id.getInputStream().readAllBytes()).strip();
      if (id.waitFor() != 0 || !uid.equals("0")) {
        return Optional.of("not root (uid " + uid + "): a network namespace needs root");
      }
      Process ip = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
      String output = new String(ip.getInputStream().readAllBytes()).strip();
      if (ip.waitFor() != 0) {
        return Optional.of("`ip netns list` failed: " + output);
      }
      return Optional.empty();
    } catch (IOException e) {
      return Optional.of("cannot run `id` or `ip` (iproute2): " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of("interrupted while checking for root");
    }
  }

  private static void logHostNetwork(String reason) {
    LOG.log(Level.WARNING, "headless Chromium runs on the host's network, not in a namespace of its own: " + reason
        + "; a host interface appearing or going away during a page load makes it drop the load (ERR_NETWORK_CHANGED)");
  }

  /** Whether this browser runs in a network namespace of its own. */
  public boolean inOwnNetworkNamespace() {
    return namespace.isPresent();
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
      relay.ifPresent(LoopbackSocksRelay::close);
      namespace.ifPresent(BrowserNamespace::close);
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
    private final Set<InetAddress> reachable = new LinkedHashSet<>();
    private boolean onHostNetwork;

    private Builder() {}

    /**
     * An address besides loopback the browser may connect to: one inside a namespace the test made
     * (a workspace's app it loads directly). In its own namespace the browser reaches nothing else.
     */
    public Builder reaching(InetAddress address) {
      reachable.add(requireNonNull(address, "address"));
      return this;
    }

    /** Runs this browser on the host's network even where it could have a namespace of its own. */
    public Builder onHostNetwork() {
      onHostNetwork = true;
      return this;
    }

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
      if (onHostNetwork || hostNetworkReason().isPresent()) {
        return startOnHostNetwork(options, profile);
      }
      BrowserNamespace namespace;
      try {
        namespace = BrowserNamespace.create();
      } catch (RuntimeException e) {
        deleteTree(profile);
        throw new IllegalStateException("cannot make a network namespace for headless Chromium (as root; "
            + "-D" + NETNS_PROPERTY + "=false runs it on the host's network): " + e.getMessage(), e);
      }
      CDP_ENDPOINT_FINDER.setLevel(java.util.logging.Level.SEVERE);
      LoopbackSocksRelay relay = null;
      try {
        relay = LoopbackSocksRelay.start(namespace.hostAddress(), reachable);
        // Every connection through the relay, loopback included (Chromium bypasses a proxy for loopback unless told not to).
        options.addArguments("--proxy-server=" + relay.proxyServer(), "--proxy-bypass-list=<-loopback>");
        ChromeDriver driver = new ChromeDriver(new NamespacedDriverService(namespace), options);
        driver.manage().timeouts().pageLoadTimeout(pageLoadTimeout);
        return new HeadlessChromium(driver, profile, Optional.of(namespace), Optional.of(relay));
      } catch (IOException | RuntimeException e) {
        if (relay != null) {
          relay.close();
        }
        namespace.close();
        deleteTree(profile);
        if (e instanceof IOException io) {
          throw new UncheckedIOException(io);
        }
        throw (RuntimeException) e;
      }
    }

    private HeadlessChromium startOnHostNetwork(ChromeOptions options, Path profile) {
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
      return new HeadlessChromium(driver, profile, Optional.empty(), Optional.empty());
    }
  }
}
