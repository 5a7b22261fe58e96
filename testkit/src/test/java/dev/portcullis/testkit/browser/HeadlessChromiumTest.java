package dev.portcullis.testkit.browser;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

class HeadlessChromiumTest {

  @Test
  void rendersALoopbackPageAndRunsItsScript() throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    byte[] page = """
        <!doctype html><title>kit</title><p id="out">static</p>
        <script>document.getElementById('out').textContent = 'from script ' + (6 * 7);</script>
        """.getBytes(StandardCharsets.UTF_8);
    server.createContext("/", exchange -> {
      exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
      exchange.sendResponseHeaders(200, page.length);
      exchange.getResponseBody().write(page);
      exchange.close();
    });
    server.start();
    Path profile;
    try (HeadlessChromium browser = HeadlessChromium.start()) {
      profile = browser.profile();
      browser.driver().get("http://127.0.0.1:" + server.getAddress().getPort() + "/");
      assertThat(browser.driver().getTitle()).isEqualTo("kit");
      assertThat(browser.driver().findElement(By.id("out")).getText()).isEqualTo("from script 42");
    } finally {
      server.stop(0);
    }
    assertThat(profile).doesNotExist();
  }
}
