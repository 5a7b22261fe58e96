package dev.portcullis.gateway.pages;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * The frame every page shares: one inline style sheet and one inline script, both constants, so the
 * Content-Security-Policy can allow exactly them by their SHA-256 and nothing else (no external
 * resource, no other inline code, no framing, no forms, no base URL). A page renders on a phone
 * (viewport meta, one fluid column) and in dark mode, with text contrast of at least 7:1.
 */
final class PageLayout {
    static final String STYLE = """
            :root{color-scheme:light dark;--bg:#f3f4f6;--card:#fff;--text:#111827;--muted:#374151;--line:#d1d5db;\
            --accent:#0b57d0;--on-accent:#fff;--code:#f9fafb}
            @media (prefers-color-scheme:dark){:root{--bg:#111418;--card:#1c2128;--text:#f3f4f6;--muted:#d1d5db;\
            --line:#3b4250;--accent:#8ab4f8;--on-accent:#0b1220;--code:#0d1117}}
            *{box-sizing:border-box}
            body{margin:0;background:var(--bg);color:var(--text);font:16px/1.5 system-ui,-apple-system,"Segoe UI",\
            Roboto,"Noto Sans",sans-serif}
            main{max-width:36rem;margin:0 auto;padding:2rem 1rem}
            .card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:1.5rem}
            .status{margin:0 0 .25rem;font-size:.875rem;font-weight:600;letter-spacing:.04em;text-transform:uppercase;\
            color:var(--muted)}
            h1{margin:0 0 1rem;font-size:1.5rem;line-height:1.25}
            h2{margin:1.5rem 0 .5rem;font-size:1.05rem}
            p,ul{margin:0 0 1rem}
            ul{padding-left:1.25rem}
            .actions{display:flex;flex-wrap:wrap;gap:.75rem;margin:1.25rem 0 1rem}
            .button{display:inline-block;padding:.7rem 1.2rem;border-radius:8px;background:var(--accent);\
            color:var(--on-accent);font-weight:600;text-decoration:none;min-height:44px}
            .button.secondary{background:transparent;color:var(--accent);border:1px solid var(--accent)}
            .button:focus-visible,a:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
            a{color:var(--accent)}
            code{font:.9rem/1.4 ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;background:var(--code);\
            border:1px solid var(--line);border-radius:6px;padding:.1rem .3rem;overflow-wrap:anywhere}
            pre{margin:0 0 1rem;white-space:pre-wrap;overflow-wrap:anywhere}
            pre code{display:block;padding:.6rem .75rem}
            details{margin-top:1.25rem;color:var(--muted)}
            summary{cursor:pointer}
            .who{overflow-wrap:anywhere}
            footer{margin-top:1rem;font-size:.875rem;color:var(--muted);text-align:center}
            """;

    /**
     * Tries the page again with a growing wait (2 s, 4 s, 8 s ... at most 60 s), counting attempts
     * per URL in sessionStorage so a reload continues the backoff; shows the seconds left.
     */
    static final String RETRY_SCRIPT = """
            (function(){var m=document.querySelector('meta[name="portcullis-retry"]');if(!m)return;\
            var base=parseInt(m.content,10)||2,key='portcullis-retry '+location.href,now=Date.now(),s={n:0,t:0};\
            try{s=JSON.parse(sessionStorage.getItem(key))||s}catch(e){}if(now-s.t>300000)s.n=0;\
            var left=Math.min(base*Math.pow(2,s.n),60);\
            try{sessionStorage.setItem(key,JSON.stringify({n:s.n+1,t:now}))}catch(e){}\
            var out=document.getElementById('retry-in');\
            (function tick(){if(out)out.textContent=left+(left===1?' second':' seconds');\
            if(left<=0){location.reload();return}left--;setTimeout(tick,1000)})();})();""";

    /** Allows the one style sheet and the one script above, and nothing else. */
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; style-src '" + sha256(STYLE) + "'; script-src '"
            + sha256(RETRY_SCRIPT) + "'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private PageLayout() {}

    /**
     * The whole document.
     *
     * @param status      e.g. "403 · Access denied", shown above the heading
     * @param body        the card's content after the heading, already escaped
     * @param retrySeconds the first wait before the page tries again by itself, or 0 for never
     */
    static String document(String title, String status, String body, int retrySeconds) {
        StringBuilder html = new StringBuilder(STYLE.length() + body.length() + 1024)
                .append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
                .append("<meta name=\"referrer\" content=\"no-referrer\">")
                .append("<meta name=\"robots\" content=\"noindex\">")
                .append("<title>").append(Html.text(title)).append(" · Portcullis</title>");
        if (retrySeconds > 0) {
            html.append("<meta name=\"portcullis-retry\" content=\"").append(retrySeconds).append("\">")
                    // Without JavaScript the page still comes back, at a fixed pace.
                    .append("<noscript><meta http-equiv=\"refresh\" content=\"15\"></noscript>");
        }
        html.append("<style>").append(STYLE).append("</style></head><body><main><div class=\"card\">")
                .append("<p class=\"status\">").append(Html.text(status)).append("</p>")
                .append("<h1>").append(Html.text(title)).append("</h1>")
                .append(body)
                .append("</div><footer>Portcullis gateway</footer></main>");
        if (retrySeconds > 0) {
            html.append("<script>").append(RETRY_SCRIPT).append("</script>");
        }
        return html.append("</body></html>\n").toString();
    }

    private static String sha256(String inline) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(inline.getBytes(StandardCharsets.UTF_8));
            return "sha256-" + Base64.getEncoder().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
