package dev.portcullis.gateway.pages;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the pages say, that they escape what came from outside, and that their CSP allows exactly their inline code. */
class PagesTest {
    private static final String HOSTILE = "<script>alert(1)</script>\"'&";
    private static final Pages.Context HOSTILE_CONTEXT = new Pages.Context(HOSTILE, "ws42", 3000, HOSTILE);

    @Test
    void escapesEverythingFromTheRequestOrTheToken() {
        List<Pages.Page> pages = List.of(
                Pages.signInNeeded(HOSTILE_CONTEXT, false, HOSTILE, "/login?rt=\"><script>"),
                Pages.accessDenied(HOSTILE_CONTEXT, List.of("deny-rule:" + HOSTILE, HOSTILE), HOSTILE, "\"><script>"),
                Pages.accessRevoked(HOSTILE_CONTEXT, List.of(HOSTILE), HOSTILE, null),
                Pages.workspaceStopped(new Pages.Context(null, HOSTILE, 0, null)),
                Pages.portNotServed(new Pages.Context(null, HOSTILE, 3000, null), HOSTILE),
                Pages.portNotServedYet(new Pages.Context(null, HOSTILE, 3000, null), HOSTILE),
                Pages.problem(400, HOSTILE, HOSTILE),
                Pages.signIn(400, HOSTILE, HOSTILE, HOSTILE));

        for (Pages.Page page : pages) {
            String withoutOwnScript = page.html().replace("<script>" + PageLayout.RETRY_SCRIPT + "</script>", "");
            assertThat(withoutOwnScript).doesNotContain("<script").doesNotContain("\"'&<")
                    .contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;");
        }
    }

    @Test
    void theAccessDeniedPageSaysWhoWhyAndHowToAsk() {
        String html = Pages.accessDenied(new Pages.Context("3000-ws42.ws.example.com", "ws42", 3000, "bob"),
                List.of("share-org", "not-org-member"), "You (bob) may not reach port 3000", "/switch").html();

        assertThat(html).contains("You are signed in as <strong>bob</strong>")
                .contains("shared with the workspace&#39;s organization, and you are not a member")
                .contains("portcullis share ws42 3000 --level users --users bob")
                .contains("href=\"/switch\">Use another account</a>")
                .contains("Reason codes: <code>share-org, not-org-member</code>");
    }

    @Test
    void onlyTheWaitingPagesRetryByThemselves() {
        assertThat(Pages.workspaceStopped(Pages.Context.UNKNOWN).html())
                .contains("<meta name=\"portcullis-retry\" content=\"2\">").contains("<meta http-equiv=\"refresh\"");
        assertThat(Pages.portNotServed(Pages.Context.UNKNOWN, "x").html()).contains("portcullis-retry");
        assertThat(Pages.portNotServedYet(Pages.Context.UNKNOWN, "x").html()).contains("portcullis-retry")
                .contains("503 · Port not served yet");
        assertThat(Pages.accessDenied(Pages.Context.UNKNOWN, List.of(), "x", null).html())
                .doesNotContain("portcullis-retry").doesNotContain("<script>");
    }

    @Test
    void theContentSecurityPolicyAllowsExactlyTheInlineStyleAndScript() throws Exception {
        String policy = Pages.problem(404, "Unknown workspace", "x").contentSecurityPolicy();

        assertThat(policy).startsWith("default-src 'none';")
                .contains("style-src '" + sha256(PageLayout.STYLE) + "'")
                .contains("script-src '" + sha256(PageLayout.RETRY_SCRIPT) + "'")
                .contains("frame-ancestors 'none'").contains("form-action 'none'").doesNotContain("unsafe-inline");
        assertThat(Pages.problem(404, "t", "x").html()).contains("<style>" + PageLayout.STYLE + "</style>")
                .doesNotContain("http://").doesNotContain("https://").doesNotContain(" style=\"");
    }

    @Test
    void everyPageIsAnAccessibleDocumentForAPhone() {
        String html = Pages.signInNeeded(Pages.Context.UNKNOWN, true, "detail", null).html();

        assertThat(html).startsWith("<!doctype html>").contains("<html lang=\"en\">")
                .contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
                .contains("<title>Sign in to continue · Portcullis</title>").contains("<main>")
                .contains("Your sign-in for this address has expired");
    }

    private static String sha256(String text) throws Exception {
        return "sha256-" + Base64.getEncoder().encodeToString(
                MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void theSignInsOwnPagesShareTheFrameAndItsPolicy() {
        Pages.Page page = Pages.signIn(400, "Sign-in failed", "This sign-in link was already used.", "ticket-invalid");

        assertThat(page.contentSecurityPolicy()).isEqualTo(PageLayout.CONTENT_SECURITY_POLICY);
        assertThat(page.html()).contains("<style>" + PageLayout.STYLE + "</style>").contains("<h1>Sign-in failed</h1>")
                .contains("This sign-in link was already used.").contains("ticket-invalid");
    }
}
