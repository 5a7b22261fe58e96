package dev.portcullis.gateway.console;

import dev.portcullis.gateway.observe.RecentAudit;
import dev.portcullis.gateway.route.RouteTable;
import dev.portcullis.gateway.route.WorkspaceRoute;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which audit lines a person sees, and which of those they asked for. Owners see the lines of the
 * workspaces they own; an org's admins also see the lines of every workspace of the org and the org's
 * policy changes. Nobody sees another org's lines, and a line about a workspace nobody owns (an
 * unknown host, say) is nobody's. Ownership is read from the routes as they are now.
 *
 * @param kind      one of {@link #KINDS}, or empty for all
 * @param workspace a workspace id, or empty for all
 * @param text      a piece of the line (case-insensitive), or empty
 */
record AuditFilter(String kind, String workspace, String text) {
    static final Set<String> KINDS = Set.of("decision", "change", "revoked", "token-exchange");

    /** The filter in a page's or stream's query ({@code ?kind=&workspace=&q=}); an unknown kind means all. */
    static AuditFilter of(String uri) {
        QueryStringDecoder query = new QueryStringDecoder(uri);
        String kind = first(query, "kind");
        return new AuditFilter(KINDS.contains(kind) ? kind : "", first(query, "workspace"), first(query, "q"));
    }

    /** Whether {@code viewer} may see {@code entry} at all. */
    static boolean visible(RecentAudit.Entry entry, Viewer viewer, RouteTable routes) {
        if (entry.workspace() != null) {
            WorkspaceRoute route = routes.lookup(entry.workspace());
            if (route == null || route.owner() == null) {
                return false;
            }
            return viewer.owns(route) || viewer.admin() && route.owner().org().equals(viewer.org());
        }
        return entry.org() != null && viewer.admin() && entry.org().equals(viewer.org());
    }

    /** Whether {@code entry} is one this filter asks for. */
    boolean matches(RecentAudit.Entry entry) {
        return (kind.isEmpty() || kind.equals(entry.kind()))
               && (workspace.isEmpty() || workspace.equals(entry.workspace()))
               && (text.isEmpty() || entry.line().toLowerCase(Locale.ROOT).contains(text.toLowerCase(Locale.ROOT)));
    }

    /** The filter as a query string for the stream's URL, {@code ?} included. */
    String query() {
        return "?kind=" + encode(kind) + "&workspace=" + encode(workspace) + "&q=" + encode(text);
    }

    private static String encode(String value) {
        return java.net.URLEncoder.encode(value, java.nio.charset.StandardCharsets.UTF_8);
    }

    private static String first(QueryStringDecoder query, String name) {
        List<String> values = query.parameters().get(name);
        return values == null || values.isEmpty() ? "" : values.get(0).strip();
    }
}
