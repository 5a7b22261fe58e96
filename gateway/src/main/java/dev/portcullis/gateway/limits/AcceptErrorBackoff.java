package dev.portcullis.gateway.limits;

import static java.util.Objects.requireNonNull;

import dev.portcullis.gateway.observe.GatewayMetrics;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On a listener's own pipeline: when accepting fails (EMFILE "Too many open files", ENFILE, ENOBUFS),
 * the listener stops accepting for a while instead of retrying in a tight loop, and the failure is
 * logged once per {@link #LOG_EVERY} with how many there were (issue 17, item 1: the accept loop
 * used to log "Too many open files" about 4.3 million times in 80 s). The pause doubles with every
 * failure in a row, from {@link #FIRST_PAUSE} up to {@link #LONGEST_PAUSE}; a successful accept
 * resets it. Connections waiting meanwhile stay in the kernel's backlog.
 */
public final class AcceptErrorBackoff extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(AcceptErrorBackoff.class);
    static final Duration FIRST_PAUSE = Duration.ofMillis(10);
    static final Duration LONGEST_PAUSE = Duration.ofSeconds(1);
    static final Duration LOG_EVERY = Duration.ofSeconds(10);

    private final GatewayMetrics metrics;
    private final Duration logEvery;
    // One per listener, touched only on its event loop.
    private long pauseMillis;
    private long failuresSinceLog;
    private String lastFailure;
    private boolean summaryScheduled;

    public AcceptErrorBackoff(GatewayMetrics metrics) {
        this(metrics, LOG_EVERY);
    }

    AcceptErrorBackoff(GatewayMetrics metrics, Duration logEvery) {
        this.metrics = requireNonNull(metrics, "metrics");
        this.logEvery = requireNonNull(logEvery, "logEvery");
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object acceptedConnection) {
        pauseMillis = 0; // accepting works again
        ctx.fireChannelRead(acceptedConnection);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        metrics.acceptFailed();
        pauseMillis = pauseMillis == 0 ? FIRST_PAUSE.toMillis() : Math.min(LONGEST_PAUSE.toMillis(), pauseMillis * 2);
        lastFailure = String.valueOf(cause.getMessage());
        failuresSinceLog++;
        if (!summaryScheduled) {
            // The first failure after a quiet interval is logged at once; the rest in one line per interval.
            logFailures(ctx);
        }
        if (ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(false);
            ctx.executor().schedule(() -> ctx.channel().config().setAutoRead(true), pauseMillis, TimeUnit.MILLISECONDS);
        }
    }

    private void logFailures(ChannelHandlerContext ctx) {
        if (failuresSinceLog == 0) {
            summaryScheduled = false;
            return;
        }
        log.warn("Accepting a connection on {} failed {} time(s) since the last such line (at most one every {} s;"
                        + " last failure: {}); accepting pauses for up to {} ms after each failure",
                ctx.channel().localAddress(), failuresSinceLog, logEvery.toSeconds(), lastFailure, LONGEST_PAUSE.toMillis());
        failuresSinceLog = 0;
        summaryScheduled = true;
        ctx.executor().schedule(() -> logFailures(ctx), logEvery.toMillis(), TimeUnit.MILLISECONDS);
    }
}
