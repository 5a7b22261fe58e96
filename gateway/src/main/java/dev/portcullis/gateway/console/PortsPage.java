package dev.portcullis.gateway.console;

import static dev.portcullis.gateway.pages.Html.text;

import dev.portcullis.gateway.access.AccessSnapshot;
import dev.portcullis.gateway.route.WorkspaceRoute;
import dev.portcullis.policy.OrgPolicy;
import dev.portcullis.policy.PortShare;
import dev.portcullis.policy.ShareLevel;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * "My workspaces and ports": each workspace the person owns, each of its known ports with its URL,
 * the level it is reachable at and why, and a form to change or revoke its share. The level menu
 * offers only what the org's policy allows on that port and says which rule caps the rest.
 */
final class PortsPage {
    static final DateTimeFormatter LOCAL_MINUTE = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm").withZone(ZoneOffset.UTC);

    private PortsPage() {}

    /**
     * How one port is reached now: the share (or none), its cap, the effective level, and whether
     * something listens on it (null: the host agent has not said).
     */
    record PortState(int port, PortShare share, ShareCap cap, boolean expired, Boolean listening) {
        ShareLevel effective() {
            return share == null || expired ? ShareLevel.OWNER : ShareLevel.narrowest(share.level(), cap.max());
        }

        String serving() {
            if (listening == null) {
                return "not reported";
            }
            return listening ? "listening" : "nothing listening now";
        }

        String why() {
            if (share == null) {
                return "the port is not shared, so only you get in";
            }
            if (expired) {
                return "the share ended at " + share.expiresAt() + ", so only you get in";
            }
            if (share.level().isWiderThan(cap.max())) {
                return "shared at " + share.level().configName() + ", narrowed to " + cap.max().configName() + ": " + cap.why();
            }
            return "shared at " + share.level().configName() + " (" + cap.why() + ")";
        }
    }

    static String render(Viewer viewer, List<WorkspaceRoute> workspaces, AccessSnapshot access, ListeningPorts ports,
                         PortUrls urls, Instant now, String notice, String error) {
        StringBuilder body = new StringBuilder(ConsoleLayout.notice(notice)).append(ConsoleLayout.error(error));
        if (workspaces.isEmpty()) {
            body.append("<div class=\"card\"><p>You own no workspace on this gateway.</p></div>");
        }
        for (WorkspaceRoute route : workspaces) {
            String ws = route.workspaceId();
            OrgPolicy policy = policyOf(access, route);
            body.append("<section class=\"workspace\" aria-labelledby=\"ws-").append(text(ws)).append("\">")
                    .append("<h2 id=\"ws-").append(text(ws)).append("\">Workspace ").append(text(ws))
                    .append(route.running() ? "" : " <small>(stopped)</small>").append("</h2>");
            for (int port : ports.of(route)) {
                PortShare share = access.sharesOf(ws).forPort(port);
                boolean expired = share != null && share.expiresAt() != null && !share.expiresAt().isAfter(now);
                Boolean listening = route.listeningPorts() == null ? null : route.listeningPorts().contains(port);
                body.append(portCard(viewer, ws, new PortState(port, share, ShareCap.of(policy, port), expired, listening),
                        urls));
            }
            body.append(newShareCard(viewer, ws, policy));
            body.append("</section>");
        }
        return ConsoleLayout.page(viewer, ConsoleLayout.Section.PORTS, "My workspaces and ports", body.toString());
    }

    static OrgPolicy policyOf(AccessSnapshot access, WorkspaceRoute route) {
        String org = route.owner() == null ? null : route.owner().org();
        OrgPolicy own = org == null ? null : access.policyOf(org);
        return own != null ? own : access.fallbackPolicy();
    }

    private static String portCard(Viewer viewer, String ws, PortState state, PortUrls urls) {
        String id = ws + "-" + state.port();
        String url = urls.of(ws, state.port());
        StringBuilder card = new StringBuilder("<article class=\"card port\" id=\"port-").append(text(id)).append("\">")
                .append("<h3>Port ").append(state.port()).append(" · <a href=\"").append(text(url)).append("\">")
                .append(text(url)).append("</a> <small class=\"serving\" id=\"serving-").append(text(id)).append("\">")
                .append(text(state.serving())).append("</small></h3>")
                .append("<p>Reachable by: <span class=\"level\" id=\"effective-").append(text(id)).append("\">")
                .append(text(state.effective().configName())).append("</span> — <span id=\"why-").append(text(id))
                .append("\">").append(text(state.why())).append("</span></p>");
        PortShare share = state.share();
        if (share != null) {
            card.append("<p>Named users: ").append(text(share.users().isEmpty() ? "none" : String.join(", ", share.users().stream().sorted().toList())))
                    .append(" · groups: ").append(text(share.groups().isEmpty() ? "none" : String.join(", ", share.groups().stream().sorted().toList())))
                    .append(" · until: ").append(text(share.expiresAt() == null ? "you revoke it" : share.expiresAt().toString()))
                    .append("</p>");
        }
        card.append(shareForm(viewer, ws, state.port(), share, state.cap(), id));
        if (share != null) {
            card.append("<form method=\"post\" action=\"/console/revoke\" class=\"inline\">").append(ConsoleLayout.csrfField(viewer))
                    .append(hidden("workspace", ws)).append(hidden("port", Integer.toString(state.port())))
                    .append("<button type=\"submit\" class=\"danger\" id=\"revoke-").append(text(id))
                    .append("\">Revoke share of port ").append(state.port()).append("</button></form>");
        }
        return card.append("</article>").toString();
    }

    private static String shareForm(Viewer viewer, String ws, int port, PortShare share, ShareCap cap, String id) {
        ShareLevel current = share == null ? ShareLevel.ORGANIZATION : share.level();
        StringBuilder form = new StringBuilder("<form method=\"post\" action=\"/console/share\">")
                .append(ConsoleLayout.csrfField(viewer)).append(hidden("workspace", ws))
                .append(hidden("port", Integer.toString(port)))
                .append(levelMenu("level-" + id, cap, current))
                .append(peopleFields(id, share))
                .append("<button type=\"submit\" id=\"save-").append(text(id)).append("\">")
                .append(share == null ? "Share port " + port : "Save share of port " + port).append("</button></form>");
        return form.toString();
    }

    private static String newShareCard(Viewer viewer, String ws, OrgPolicy policy) {
        String id = ws + "-new";
        ShareCap orgCap = policy.sharingEnabled() ? new ShareCap(policy.maxLevel(), "the org maximum (sharing.maxLevel) is "
                + policy.maxLevel().configName() + "; a port rule may allow less on a given port")
                : ShareCap.of(policy, 1);
        return "<details class=\"card\"><summary>Share another port of " + text(ws) + "</summary>"
                + "<form method=\"post\" action=\"/console/share\">" + ConsoleLayout.csrfField(viewer) + hidden("workspace", ws)
                + "<label for=\"port-" + text(id) + "\">Port</label><input id=\"port-" + text(id)
                + "\" name=\"port\" type=\"number\" min=\"1\" max=\"65535\" required inputmode=\"numeric\">"
                + levelMenu("level-" + id, orgCap, ShareLevel.ORGANIZATION) + peopleFields(id, null)
                + "<button type=\"submit\" id=\"save-" + text(id) + "\">Share</button></form></details>";
    }

    /** The level menu: the levels within {@code cap}; the wider ones are named as not offered, with the reason. */
    private static String levelMenu(String id, ShareCap cap, ShareLevel selected) {
        StringBuilder menu = new StringBuilder("<label for=\"").append(text(id)).append("\">Who may reach it</label>")
                .append("<select id=\"").append(text(id)).append("\" name=\"level\" aria-describedby=\"").append(text(id))
                .append("-cap\">");
        ShareLevel pick = cap.allows(selected) ? selected : cap.max();
        for (ShareLevel level : ShareLevel.values()) {
            if (cap.allows(level)) {
                menu.append("<option value=\"").append(level.configName()).append('"')
                        .append(level == pick ? " selected" : "").append('>').append(describe(level)).append("</option>");
            }
        }
        menu.append("</select><p class=\"hint\" id=\"").append(text(id)).append("-cap\">");
        if (cap.max() == ShareLevel.PUBLIC) {
            menu.append("Every level is allowed here.");
        } else {
            menu.append("Not offered: ").append(text(String.join(", ", widerThan(cap.max())))).append(", because ")
                    .append(text(cap.why())).append('.');
        }
        return menu.append("</p>").toString();
    }

    private static String peopleFields(String id, PortShare share) {
        String users = share == null ? "" : String.join(", ", share.users().stream().sorted().toList());
        String groups = share == null ? "" : String.join(", ", share.groups().stream().sorted().toList());
        String expires = share == null || share.expiresAt() == null ? "" : LOCAL_MINUTE.format(share.expiresAt());
        return "<div class=\"row\"><div><label for=\"users-" + text(id) + "\">Named users</label>"
                + "<input id=\"users-" + text(id) + "\" name=\"users\" value=\"" + text(users) + "\" aria-describedby=\"users-"
                + text(id) + "-hint\"><p class=\"hint\" id=\"users-" + text(id) + "-hint\">Comma separated; for the users level</p></div>"
                + "<div><label for=\"groups-" + text(id) + "\">Groups</label><input id=\"groups-" + text(id)
                + "\" name=\"groups\" value=\"" + text(groups) + "\"></div>"
                + "<div><label for=\"expires-" + text(id) + "\">Until (UTC, empty: until revoked)</label><input id=\"expires-"
                + text(id) + "\" name=\"expires\" type=\"datetime-local\" value=\"" + text(expires) + "\"></div></div>";
    }

    private static String describe(ShareLevel level) {
        return switch (level) {
            case OWNER -> "owner: only me";
            case USERS -> "users: me and the named users and groups";
            case ORGANIZATION -> "organization: everyone in my org";
            case AUTHENTICATED -> "authenticated: anyone signed in";
            case PUBLIC -> "public: anyone, no sign-in";
        };
    }

    private static List<String> widerThan(ShareLevel max) {
        return java.util.Arrays.stream(ShareLevel.values()).filter(level -> level.isWiderThan(max))
                .map(ShareLevel::configName).toList();
    }

    private static String hidden(String name, String value) {
        return "<input type=\"hidden\" name=\"" + name + "\" value=\"" + text(value) + "\">";
    }
}
