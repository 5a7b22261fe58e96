package dev.portcullis.gateway.fairness;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A rate in bytes per second, or unlimited. Written in config as {@code 800Mbit} (bits, decimal
 * prefixes as network people count), {@code 100MB/s}, {@code 12MiB/s} (bytes) or {@code unlimited}.
 */
public record Bandwidth(double bytesPerSecond) {
    public static final Bandwidth UNLIMITED = new Bandwidth(Double.POSITIVE_INFINITY);

    private static final Pattern SYNTAX = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([A-Za-z]+(?:/s)?)");
    private static final String EXPECTED = "expected: a number and a unit such as 800Mbit, 1Gbit, 100MB/s, 64MiB/s, or unlimited";

    public Bandwidth {
        if (!(bytesPerSecond > 0)) {
            throw new IllegalArgumentException(bytesPerSecond + " bytes/s (expected: > 0)");
        }
    }

    public static Bandwidth bytesPerSecond(double rate) {
        return new Bandwidth(rate);
    }

    public static Bandwidth megabitsPerSecond(double megabits) {
        return new Bandwidth(megabits * 1e6 / 8);
    }

    public boolean isUnlimited() {
        return Double.isInfinite(bytesPerSecond);
    }

    public static Bandwidth parse(String text) {
        String trimmed = text.trim();
        if (trimmed.equalsIgnoreCase("unlimited")) {
            return UNLIMITED;
        }
        Matcher matcher = SYNTAX.matcher(trimmed);
        if (!matcher.matches()) {
            throw new IllegalArgumentException("'" + text + "' (" + EXPECTED + ")");
        }
        double amount = Double.parseDouble(matcher.group(1));
        String unit = matcher.group(2);
        if (unit.endsWith("/s")) {
            unit = unit.substring(0, unit.length() - 2);
        }
        // Bits (network people's unit, decimal prefixes) or bytes (B, decimal or binary prefixes); never "Mb".
        double bytes = switch (unit) {
            case "bit" -> 1.0 / 8;
            case "Kbit", "kbit" -> 1e3 / 8;
            case "Mbit" -> 1e6 / 8;
            case "Gbit" -> 1e9 / 8;
            case "B" -> 1;
            case "KB", "kB" -> 1e3;
            case "MB" -> 1e6;
            case "GB" -> 1e9;
            case "KiB" -> 1024;
            case "MiB" -> 1024.0 * 1024;
            case "GiB" -> 1024.0 * 1024 * 1024;
            default -> throw new IllegalArgumentException("'" + text + "' (" + EXPECTED + ")");
        };
        if (amount <= 0) {
            throw new IllegalArgumentException("'" + text + "' (expected: > 0; leave the key out for no limit)");
        }
        return new Bandwidth(amount * bytes);
    }

    @Override
    public String toString() {
        return isUnlimited() ? "unlimited" : String.format(Locale.ROOT, "%.1fMbit", bytesPerSecond * 8 / 1e6);
    }
}
