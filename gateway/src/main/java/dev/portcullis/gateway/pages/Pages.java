package dev.portcullis.gateway.pages;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;

/**
 * The gateway's pages for people: what a browser shows when the gateway answers a navigation
 * itself. Each says what happened in plain words and what the person can do next; APIs get JSON
 * instead (see {@code proxy.ErrorResponses}). Every value that came from a request or a token is
 * escaped; the pages load nothing from anywhere and carry their own {@link Page#contentSecurityPolicy}.
 */
public final class Pages {
    /** The first wait, in seconds, before a page for a passing condition tries again by itself. */
    static final int FIRST_RETRY_SECONDS = 2;

    private Pages() {}

    /** A rendered page and the Content-Security-Policy that must be sent with it. */
    public record Page(String html, String contentSecurityPolicy) {}

    /**
     * What the gateway knows about the request it answers; any part may be null when it was not
     * reached (no route yet, no verified user), and the links are null without browser sign-in.
     *
     * @param signInHref     where the Sign in button leads (the port host's own sign-in path, which
     *                       sends the browser to the login host with a signed way back)
     * @param switchUserHref where "Use another account" leads (the port host's logout)
     */
    public record Context(String host, String workspace, int port, String user, String signInHref,
                          String switchUserHref) {
        public static final Context UNKNOWN = new Context(null, null, 0, null);

        public Context(String host, String workspace, int port, String user) {
            this(host, workspace, port, user, null, null);
        }

        /** The same context on a gateway with browser sign-in: the pages link to it. */
        public Context withSignIn(String signInHref, String switchUserHref) {
            return new Context(host, workspace, port, user, requireNonNull(signInHref, "signInHref"),
                    requireNonNull(switchUserHref, "switchUserHref"));
        }

        boolean knowsPort() {
            return workspace != null && port > 0;
        }
    }

    /**
     * Sign-in needed (401).
     *
     * @param expired    the browser's sign-in was there but no longer holds
     * @param detail     the gateway's technical explanation, shown folded (for command-line users)
     * @param signInHref where the Sign in button leads; null when the gateway has no sign-in page,
     *                   and then the button loads this page again
     */
    public static Page signInNeeded(Context context, boolean expired, String detail, String signInHref) {
        StringBuilder body = new StringBuilder();
        if (expired) {
            body.append("<p>Your sign-in for this address has expired. Sign in again to continue.</p>");
        } else if (context.knowsPort()) {
            body.append("<p>Port ").append(context.port()).append(" of workspace <strong>")
                    .append(Html.text(context.workspace())).append("</strong> is not public. Sign in to open it.</p>");
        } else {
            body.append("<p>This address is not public. Sign in to open it.</p>");
        }
        if (signInHref == null) {
            body.append("<p>If someone shared this port with you, open the sign-in link they sent; it signs you in"
                    + " on this address.</p>");
        }
        body.append("<div class=\"actions\">");
        if (signInHref != null) {
            body.append("<a class=\"button\" href=\"").append(Html.text(signInHref)).append("\">Sign in</a>");
        } else {
            body.append("<a class=\"button\" href=\"\">Try again</a>");
        }
        body.append("</div>");
        details(body, List.of(), detail);
        return page("Sign in to continue", "401 · Sign-in needed", body.toString(), 0);
    }

    /**
     * Access denied (403): who the person is, why in words, how to switch user and how to ask.
     *
     * @param switchUserHref where "Use another account" leads, or null when there is no such page
     */
    public static Page accessDenied(Context context, List<String> reasons, String detail, String switchUserHref) {
        StringBuilder body = new StringBuilder();
        whoYouAre(body, context);
        List<String> words = words(reasons);
        body.append("<h2>Why</h2>");
        if (words.isEmpty()) {
            body.append("<p>").append(Html.text(detail)).append("</p>");
        } else {
            body.append("<ul>");
            words.forEach(sentence -> body.append("<li>").append(Html.text(sentence)).append("</li>"));
            body.append("</ul>");
        }
        askTheOwner(body, context, reasons.contains("cross-origin"));
        actions(body, switchUserHref);
        details(body, reasons, detail);
        return page("You don't have access", "403 · Access denied", body.toString(), 0);
    }

    /** Access revoked (403): the person got in before, and the owner's share has since ended. */
    public static Page accessRevoked(Context context, List<String> reasons, String detail, String switchUserHref) {
        StringBuilder body = new StringBuilder();
        whoYouAre(body, context);
        body.append("<p>The owner's share of this port has ended or was withdrawn, so your access ended with it."
                + " Open connections to it were closed.</p>");
        askTheOwner(body, context, false);
        actions(body, switchUserHref);
        details(body, reasons, detail);
        return page("Your access has ended", "403 · Access revoked", body.toString(), 0);
    }

    /** Workspace stopped (503): comes back by itself once the workspace runs again. */
    public static Page workspaceStopped(Context context) {
        String workspace = context.workspace() == null ? "" : "Workspace <strong>" + Html.text(context.workspace())
                + "</strong> is not running. ";
        String body = "<p>" + workspace + "Once its owner starts it again, this page opens by itself.</p>" + retryLine();
        return page("This workspace is stopped", "503 · Workspace stopped", body, FIRST_RETRY_SECONDS);
    }

    /** Port not served yet (502): nothing listens on the port; comes back by itself once something does. */
    public static Page portNotServed(Context context, String detail) {
        String what = context.knowsPort() ? "Nothing in workspace <strong>" + Html.text(context.workspace())
                + "</strong> answers on port " + context.port() + " yet." : "Nothing answers on this port yet.";
        String body = "<p>" + what + " When the app there starts listening, this page opens by itself.</p>"
                + retryLine() + "<details><summary>Details</summary><p>" + Html.text(detail) + "</p></details>";
        return page("This port is not served yet", "502 · Port not served", body, FIRST_RETRY_SECONDS);
    }

    /**
     * Port not served yet (503): the workspace's agent reports that nothing listens on the port, so the
     * gateway did not even try; comes back by itself once something does.
     */
    public static Page portNotServedYet(Context context, String detail) {
        String what = context.knowsPort() ? "Nothing in workspace <strong>" + Html.text(context.workspace())
                + "</strong> listens on port " + context.port() + " yet." : "Nothing listens on this port yet.";
        String body = "<p>" + what + " When the app there starts listening, this page opens by itself.</p>"
                + retryLine() + "<details><summary>Details</summary><p>" + Html.text(detail) + "</p></details>";
        return page("This port is not served yet", "503 · Port not served yet", body, FIRST_RETRY_SECONDS);
    }

    /** Any other answer of the gateway: the status, a title and what happened. */
    public static Page problem(int status, String title, String detail) {
        return page(title, status + " · " + title, "<p>" + Html.text(detail) + "</p>", 0);
    }

    /**
     * The sign-in's own pages (a refused or failed sign-in, signed out): the status, a title, what
     * happened, and the reason code for whoever helps the person.
     */
    public static Page signIn(int status, String title, String detail, String reasonCode) {
        StringBuilder body = new StringBuilder("<p>").append(Html.text(detail)).append("</p>");
        details(body, List.of(reasonCode), status < 400 ? "" : "The sign-in answered " + status + ".");
        return page(title, status < 400 ? title : status + " · " + title, body.toString(), 0);
    }

    private static void whoYouAre(StringBuilder body, Context context) {
        if (context.user() != null) {
            body.append("<p class=\"who\">You are signed in as <strong>").append(Html.text(context.user()))
                    .append("</strong>.</p>");
        }
    }

    private static void askTheOwner(StringBuilder body, Context context, boolean crossOrigin) {
        if (crossOrigin) {
            body.append("<h2>What you can do</h2><p>Open this address directly instead of through the other page."
                    + " If the other page belongs to the same workspace, its owner can allow it for this port.</p>");
            if (context.knowsPort()) {
                body.append("<pre><code>portcullis share ").append(Html.text(context.workspace())).append(' ')
                        .append(context.port()).append(" --level owner --allow-origin https://&lt;other port host&gt;")
                        .append("</code></pre>");
            }
            return;
        }
        body.append("<h2>How to get access</h2><p>Ask the owner of ")
                .append(context.workspace() == null ? "the workspace" : "workspace <strong>"
                        + Html.text(context.workspace()) + "</strong>")
                .append(" to share ").append(context.port() > 0 ? "port " + context.port() : "this port")
                .append(" with you. They can run:</p>");
        if (context.knowsPort()) {
            body.append("<pre><code>portcullis share ").append(Html.text(context.workspace())).append(' ')
                    .append(context.port()).append(" --level users --users ")
                    .append(context.user() == null ? "&lt;you&gt;" : Html.text(context.user())).append("</code></pre>");
        }
    }

    private static void actions(StringBuilder body, String switchUserHref) {
        body.append("<div class=\"actions\"><a class=\"button\" href=\"\">Try again</a>");
        if (switchUserHref != null) {
            body.append("<a class=\"button secondary\" href=\"").append(Html.text(switchUserHref))
                    .append("\">Use another account</a>");
        }
        body.append("</div>");
        if (switchUserHref == null) {
            body.append("<p>To use another account, open the sign-in link for that account on this address.</p>");
        }
    }

    private static void details(StringBuilder body, List<String> reasons, String detail) {
        body.append("<details><summary>Details</summary><p>").append(Html.text(detail)).append("</p>");
        if (!reasons.isEmpty()) {
            body.append("<p>Reason codes: <code>").append(Html.text(String.join(", ", reasons))).append("</code></p>");
        }
        body.append("</details>");
    }

    private static String retryLine() {
        return "<p>Trying again in <span id=\"retry-in\">a few seconds</span>. <a href=\"\">Try now</a></p>";
    }

    private static List<String> words(List<String> reasons) {
        List<String> sentences = new ArrayList<>();
        for (String reason : reasons) {
            String sentence = DenialWords.of(reason);
            if (sentence != null && !sentences.contains(sentence)) {
                sentences.add(sentence);
            }
        }
        return sentences;
    }

    private static Page page(String title, String status, String body, int retrySeconds) {
        requireNonNull(body, "body");
        return new Page(PageLayout.document(title, status, body, retrySeconds), PageLayout.CONTENT_SECURITY_POLICY);
    }
}
