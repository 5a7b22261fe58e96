package dev.portcullis.agent.shaping;

/** How workspace egress is limited on this host, chosen once by probing the kernel at start. */
public enum ShapingMode {
    /** HTB root with one class per workspace link and a pfifo leaf: exact rate, ceil = rate. */
    HTB,
    /** Token bucket filter: a plain rate limit when HTB is missing. */
    TBF,
    /** Neither is available: workspaces are not limited (said in the log and in status). */
    NONE
}
