package dev.portcullis.gateway.console;

import static dev.portcullis.gateway.pages.Html.text;

import dev.portcullis.gateway.observe.RecentAudit;
import java.util.List;

/**
 * The recent audit lines a person may see, newest first, with a filter form; the console's script
 * adds new lines at the top as the gateway streams them ({@code /console/audit/events}, server-sent
 * events with the same filter). Without the script the page is a snapshot that a reload refreshes.
 */
final class AuditPage {
    static final int SHOWN = 200;

    private AuditPage() {}

    /** @param last the newest kept line's sequence: the stream starts after it */
    static String render(Viewer viewer, AuditFilter filter, List<RecentAudit.Entry> newestFirst, long last) {
        StringBuilder body = new StringBuilder("<form method=\"get\" action=\"/console/audit\" class=\"card filters\""
                + " role=\"search\"><div class=\"row\">")
                .append("<div><label for=\"audit-kind\">Kind</label><select id=\"audit-kind\" name=\"kind\">")
                .append(option("", "all", filter.kind()));
        for (String kind : List.of("decision", "change", "revoked", "token-exchange")) {
            body.append(option(kind, kind, filter.kind()));
        }
        body.append("</select></div>")
                .append("<div><label for=\"audit-workspace\">Workspace</label><input id=\"audit-workspace\" name=\"workspace\""
                        + " value=\"").append(text(filter.workspace())).append("\"></div>")
                .append("<div><label for=\"audit-q\">Containing</label><input id=\"audit-q\" name=\"q\" value=\"")
                .append(text(filter.text())).append("\"></div></div>")
                .append("<button type=\"submit\" id=\"audit-filter\">Filter</button></form>")
                .append("<p class=\"hint\" id=\"audit-live\" role=\"status\" data-stream=\"/console/audit/events")
                .append(text(filter.query())).append("&after=").append(last).append("\">")
                .append(viewer.admin() ? "Lines of your org's workspaces and its policy" : "Lines of your workspaces")
                .append(", newest first, from this gateway.</p>")
                .append("<ol class=\"audit\" id=\"audit-lines\" reversed>");
        for (RecentAudit.Entry entry : newestFirst) {
            body.append(line(entry));
        }
        body.append("</ol>");
        if (newestFirst.isEmpty()) {
            body.append("<p id=\"audit-none\">No lines yet.</p>");
        }
        return ConsoleLayout.page(viewer, ConsoleLayout.Section.AUDIT, "Audit", body.toString());
    }

    /** One line as the page shows it; the script builds the same shape for streamed lines. */
    private static String line(RecentAudit.Entry entry) {
        return "<li data-kind=\"" + text(entry.kind()) + "\"><time>" + text(entry.at().toString()) + "</time> <code>"
                + text(entry.line()) + "</code></li>";
    }

    private static String option(String value, String label, String selected) {
        return "<option value=\"" + text(value) + "\"" + (value.equals(selected) ? " selected" : "") + ">" + text(label)
                + "</option>";
    }
}
