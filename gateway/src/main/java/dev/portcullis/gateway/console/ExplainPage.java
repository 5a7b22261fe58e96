package dev.portcullis.gateway.console;

import static dev.portcullis.gateway.pages.Html.text;

import com.fasterxml.jackson.databind.JsonNode;
import dev.portcullis.policy.ReasonText;

/**
 * Explain: a person (user, org, groups, or their pasted bearer token), a URL and a method; the decision and every reason in words,
 * as {@code portcullis policy explain} prints them. The admin API decides who may ask: the owner for
 * their own ports, an admin for any workspace of their org.
 */
final class ExplainPage {
    /** What was asked; empty fields when the page is first opened. */
    record Question(String user, String org, String groups, String url, String method) {}

    private ExplainPage() {}

    static String render(Viewer viewer, Question question, JsonNode answer, String error) {
        StringBuilder body = new StringBuilder(ConsoleLayout.error(error))
                .append("<form method=\"post\" action=\"/console/explain\" class=\"card\">").append(ConsoleLayout.csrfField(viewer))
                .append("<div class=\"row\">")
                .append(field("user", "Person (user name; empty: nobody signed in)", question.user()))
                .append(field("org", "Their org", question.org()))
                .append(field("groups", "Their groups (comma separated)", question.groups()))
                .append("</div>")
                .append("<label for=\"explain-token\">Or paste their token (a bearer JWT; used for this answer only,"
                        + " never shown again)</label><textarea id=\"explain-token\" name=\"token\" rows=\"3\""
                        + " autocomplete=\"off\" spellcheck=\"false\" class=\"token\"></textarea>")
                .append(field("url", "URL", question.url()))
                .append("<label for=\"explain-method\">Method</label><select id=\"explain-method\" name=\"method\">");
        for (String method : new String[] {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
            body.append("<option").append(method.equals(question.method()) ? " selected" : "").append('>').append(method)
                    .append("</option>");
        }
        body.append("</select><button type=\"submit\" id=\"explain-submit\">Explain</button></form>");
        if (answer != null) {
            boolean allowed = "allow".equals(answer.path("decision").asText());
            body.append("<section class=\"card\" aria-live=\"polite\" id=\"explain-answer\"><h2>")
                    .append(allowed ? "<span class=\"good\">Allowed</span>" : "<span class=\"bad\">Denied</span>")
                    .append(": ").append(text(answer.path("principal").asText())).append(" → ")
                    .append(text(answer.path("method").asText())).append(' ')
                    .append(text(answer.path("workspace").asText() + ":" + answer.path("port").asInt() + answer.path("path").asText()))
                    .append("</h2><ol id=\"explain-reasons\">");
            for (JsonNode reason : answer.path("reasons")) {
                String words = ReasonText.of(reason.asText());
                body.append("<li>").append(text(words.isEmpty() ? reason.asText() : words)).append(" <code>")
                        .append(text(reason.asText())).append("</code></li>");
            }
            body.append("</ol></section>");
        }
        return ConsoleLayout.page(viewer, ConsoleLayout.Section.EXPLAIN, "Why is someone let in, or not?", body.toString());
    }

    private static String field(String name, String label, String value) {
        return "<div><label for=\"explain-" + name + "\">" + text(label) + "</label><input id=\"explain-" + name + "\" name=\""
                + name + "\" value=\"" + text(value == null ? "" : value) + "\"" + (name.equals("url") ? " required" : "")
                + "></div>";
    }
}
