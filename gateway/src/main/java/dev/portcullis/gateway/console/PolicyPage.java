package dev.portcullis.gateway.console;

import static dev.portcullis.gateway.pages.Html.text;

import dev.portcullis.policy.ReasonText;
import dev.portcullis.policy.parse.PolicyError;
import java.util.List;

/**
 * The org's policy for its admins: the YAML with its revision, checked as it is typed (the script
 * asks {@code /console/api/policy/validate}, the same parser as {@code policy validate}), a dry run
 * of what the edit would narrow or cut, and apply with compare-and-swap on the revision it was read at.
 */
final class PolicyPage {
    /** What the page shows: the text in the editor, the revision it was read at, and the outcome of the last action. */
    record State(String org, String text, long revision, boolean ownPolicy, List<PolicyError> errors,
                 PolicyDryRun.Result dryRun, String notice, String error) {}

    private PolicyPage() {}

    static String render(Viewer viewer, State state) {
        StringBuilder body = new StringBuilder(ConsoleLayout.notice(state.notice())).append(ConsoleLayout.error(state.error()));
        body.append("<p>Org <strong>").append(text(state.org())).append("</strong> · ")
                .append(state.ownPolicy() ? "revision <strong id=\"policy-revision\">" + state.revision() + "</strong>"
                        : "<span id=\"policy-revision\">no policy of its own yet: the gateway's default applies</span>")
                .append("</p>");
        body.append("<form method=\"post\" action=\"/console/policy\" class=\"card\">").append(ConsoleLayout.csrfField(viewer))
                .append("<input type=\"hidden\" name=\"revision\" value=\"").append(state.revision()).append("\">")
                .append("<label for=\"policy-text\">Policy (YAML)</label>")
                .append("<textarea id=\"policy-text\" name=\"text\" spellcheck=\"false\" autocapitalize=\"off\"")
                .append(" aria-describedby=\"policy-check\">").append(text(state.text())).append("</textarea>")
                .append("<div id=\"policy-check\" aria-live=\"polite\">").append(errors(state.errors())).append("</div>")
                .append("<button type=\"submit\" name=\"action\" value=\"dry-run\" class=\"secondary\" id=\"policy-dry-run\">")
                .append("Dry run</button>")
                .append("<button type=\"submit\" name=\"action\" value=\"apply\" id=\"policy-apply\">Apply</button></form>");
        if (state.dryRun() != null) {
            body.append(dryRun(state.dryRun()));
        }
        return ConsoleLayout.page(viewer, ConsoleLayout.Section.POLICY, "Org policy", body.toString());
    }

    private static String errors(List<PolicyError> errors) {
        if (errors.isEmpty()) {
            return "";
        }
        StringBuilder list = new StringBuilder("<ul class=\"bad\">");
        for (PolicyError error : errors) {
            list.append("<li data-line=\"").append(error.line()).append("\">Line ").append(error.line()).append(", column ")
                    .append(error.column()).append(": ").append(text(error.field().isEmpty() ? "" : error.field() + ": "))
                    .append(text(error.message())).append("</li>");
        }
        return list.append("</ul>").toString();
    }

    private static String dryRun(PolicyDryRun.Result result) {
        StringBuilder out = new StringBuilder("<section class=\"card\" id=\"dry-run\"><h2>Dry run: what this version changes</h2>");
        if (result.shares().isEmpty()) {
            out.append("<p>No existing share would be narrowed.</p>");
        } else {
            out.append("<table id=\"dry-run-shares\"><caption class=\"sr\">Shares this version narrows</caption><thead><tr>")
                    .append("<th scope=\"col\">Workspace:port</th><th scope=\"col\">Shared at</th><th scope=\"col\">Now</th>")
                    .append("<th scope=\"col\">Would be</th><th scope=\"col\">Because</th></tr></thead><tbody>");
            for (PolicyDryRun.NarrowedShare share : result.shares()) {
                out.append("<tr><td>").append(text(share.workspace() + ":" + share.port())).append("</td><td>")
                        .append(share.shared().configName()).append("</td><td>").append(share.from().configName())
                        .append("</td><td>").append(share.to().configName()).append(share.to().configName().equals("owner")
                                ? " (cut)" : "").append("</td><td>").append(text(share.why())).append("</td></tr>");
            }
            out.append("</tbody></table>");
        }
        if (result.connections().isEmpty()) {
            out.append("<p>No open connection would be closed.</p>");
        } else {
            out.append("<h3>Open connections that would close</h3><ul id=\"dry-run-connections\">");
            for (PolicyDryRun.CutConnection cut : result.connections()) {
                out.append("<li>").append(text(cut.principal() + " → " + cut.method() + " " + cut.workspace() + ":" + cut.port()
                        + cut.path())).append(": ").append(text(String.join("; ", cut.reasons().stream()
                        .map(code -> ReasonText.of(code).isEmpty() ? code : ReasonText.of(code)).toList()))).append("</li>");
            }
            out.append("</ul>");
        }
        return out.append("</section>").toString();
    }
}
