package dev.portcullis.gateway.console;

import static dev.portcullis.gateway.pages.Html.text;

/**
 * The frame of every console page: a header with the pages this person may open and who they are,
 * one {@code main} landmark, the console's style sheet and script from this host. Everything placed
 * in a page goes through {@link dev.portcullis.gateway.pages.Html#text}.
 */
final class ConsoleLayout {
    enum Section {
        PORTS("/", "My ports"),
        EXPLAIN("/console/explain", "Explain"),
        AUDIT("/console/audit", "Audit"),
        POLICY("/console/policy", "Org policy");

        final String path;
        final String title;

        Section(String path, String title) {
            this.path = path;
            this.title = title;
        }
    }

    private ConsoleLayout() {}

    static String page(Viewer viewer, Section current, String title, String body) {
        StringBuilder nav = new StringBuilder();
        for (Section section : Section.values()) {
            if (section == Section.POLICY && !viewer.admin()) {
                continue; // admins only: the page and its API answer 403 to anyone else
            }
            nav.append("<a href=\"").append(section.path).append('"')
                    .append(section == current ? " aria-current=\"page\"" : "").append('>')
                    .append(text(section.title)).append("</a>");
        }
        String who = viewer.user() + (viewer.org() == null ? "" : " (" + viewer.org() + (viewer.admin() ? ", admin" : "") + ")");
        return "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                + "<title>" + text(title) + " · Portcullis</title>"
                + "<link rel=\"stylesheet\" href=\"/console/console.css\">"
                + "<script src=\"/console/console.js\" defer></script></head><body>"
                + "<header><nav aria-label=\"Console\">" + nav
                + "<span class=\"who\">Signed in as <strong>" + text(who) + "</strong></span>"
                + "<a href=\"/logout\">Sign out</a></nav></header>"
                + "<main><h1>" + text(title) + "</h1>" + body + "</main></body></html>\n";
    }

    /** The hidden field every form carries. */
    static String csrfField(Viewer viewer) {
        return "<input type=\"hidden\" name=\"csrf\" value=\"" + text(viewer.csrf()) + "\">";
    }

    static String notice(String message) {
        return message == null ? "" : "<div class=\"card notice\" role=\"status\"><p>" + text(message) + "</p></div>";
    }

    static String error(String message) {
        return message == null ? "" : "<div class=\"card error\" role=\"alert\"><p><strong>Not done:</strong> "
                + text(message) + "</p></div>";
    }
}
