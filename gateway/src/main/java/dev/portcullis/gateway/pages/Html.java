package dev.portcullis.gateway.pages;

/**
 * Escaping for text placed in the pages' HTML. Everything a page shows that came from a request or
 * a token (a user name, a host, a reason, a detail) goes through {@link #text}; nothing is placed in
 * a script, a style or an unquoted attribute.
 */
public final class Html {
    private Html() {}

    /** {@code value} safe as element content or inside a double-quoted attribute. */
    public static String text(String value) {
        StringBuilder out = new StringBuilder(value.length() + 16);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> {
                    // Control characters (a header can carry them) would only confuse a reader.
                    if (c < 0x20 && c != '\n' && c != '\t' || c == 0x7f) {
                        out.append('?');
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
