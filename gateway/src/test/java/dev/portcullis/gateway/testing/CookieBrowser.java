package dev.portcullis.gateway.testing;

import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;

/**
 * A browser's HTTP behaviour for sign-in tests without a browser: a cookie jar, page loads
 * ({@code Accept: text/html}, {@code Sec-Fetch-Mode: navigate}) and redirects followed one by one,
 * each URL of the way kept. The real-browser tests use Chromium; this one runs everywhere.
 */
public final class CookieBrowser {
    private final HttpClient http;
    private final CookieManager cookies = new CookieManager();

    public CookieBrowser(SSLContext tls) {
        this.http = HttpClient.newBuilder().sslContext(tls).version(HttpClient.Version.HTTP_1_1)
                .cookieHandler(cookies).followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** The answers of one page load, redirects included, in order; the last is the page. */
    public record Visit(List<URI> urls, List<HttpResponse<String>> answers) {
        public HttpResponse<String> page() {
            return answers.get(answers.size() - 1);
        }

        public URI finalUrl() {
            return urls.get(urls.size() - 1);
        }

        /** The first URL visited on {@code host} whose path is {@code path}, or null. */
        public URI first(String host, String path) {
            return urls.stream().filter(url -> url.getHost().equals(host) && url.getPath().equals(path))
                    .findFirst().orElse(null);
        }
    }

    /** Loads {@code url} as a page and follows redirects until one stops at {@code stopBefore} (or none is left). */
    public Visit open(URI url, java.util.function.Predicate<URI> stopBefore) throws Exception {
        List<URI> urls = new ArrayList<>();
        List<HttpResponse<String>> answers = new ArrayList<>();
        URI next = url;
        for (int hop = 0; hop < 12; hop++) {
            urls.add(next);
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(next).timeout(Duration.ofSeconds(10))
                    .header("Accept", "text/html").header("Sec-Fetch-Mode", "navigate")
                    .header("Sec-Fetch-Dest", "document").build(), HttpResponse.BodyHandlers.ofString());
            answers.add(answer);
            String location = answer.headers().firstValue("location").orElse(null);
            if (answer.statusCode() / 100 != 3 || location == null) {
                return new Visit(urls, answers);
            }
            URI target = next.resolve(location);
            if (stopBefore.test(target)) {
                urls.add(target);
                return new Visit(urls, answers);
            }
            next = target;
        }
        throw new AssertionError("more than 12 redirects: " + urls);
    }

    public Visit open(URI url) throws Exception {
        return open(url, target -> false);
    }

    /** A script's request (fetch/XHR): not a navigation, with this browser's cookies. */
    public HttpResponse<String> fetch(URI url) throws Exception {
        return http.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10))
                .header("Accept", "*/*").header("Sec-Fetch-Mode", "cors").build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The value of the cookie {@code name} this browser holds for {@code url}, or null. */
    public String cookie(URI url, String name) {
        return cookies.getCookieStore().get(url).stream().filter(c -> c.getName().equals(name))
                .map(java.net.HttpCookie::getValue).findFirst().orElse(null);
    }

    public HttpClient http() {
        return http;
    }
}
