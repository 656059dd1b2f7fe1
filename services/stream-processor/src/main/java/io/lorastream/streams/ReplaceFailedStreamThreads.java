package io.lorastream.streams;

import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.jboss.logging.Logger;

/**
 * What Kafka Streams does when a stream thread dies: it starts a new one, which takes the thread's tasks
 * again from their last commit (exactly once). A broker killed mid-transaction fences the thread's
 * producer ({@code InvalidTxnStateException}, {@code ProducerFencedException}); Kafka Streams' default
 * answer shuts the whole client down, and datasets, training requests and the rollout stop for every
 * tenant until someone restarts the process. A failure that comes back at once would replace threads for
 * ever: after {@link #MAX_REPLACEMENTS} within {@link #WINDOW} the client shuts down instead, and liveness
 * fails, so the orchestrator restarts the process.
 */
@ApplicationScoped
public class ReplaceFailedStreamThreads implements StreamsUncaughtExceptionHandler {
    private static final Logger LOG = Logger.getLogger(ReplaceFailedStreamThreads.class);
    static final int MAX_REPLACEMENTS = 10;
    static final Duration WINDOW = Duration.ofMinutes(5);

    private final MeterRegistry registry;
    private final Clock clock;
    private final Deque<Long> recent = new ArrayDeque<>();

    ReplaceFailedStreamThreads(MeterRegistry registry) {
        this(registry, Clock.systemUTC());
    }

    ReplaceFailedStreamThreads(MeterRegistry registry, Clock clock) {
        this.registry = registry;
        this.clock = clock;
    }

    @Override
    public synchronized StreamThreadExceptionResponse handle(Throwable exception) {
        long now = clock.millis();
        recent.addLast(now);
        while (!recent.isEmpty() && recent.peekFirst() < now - WINDOW.toMillis()) {
            recent.removeFirst();
        }
        if (recent.size() > MAX_REPLACEMENTS) {
            LOG.errorf(exception, "a stream thread failed for the %d-th time within %s: shutting the Kafka Streams client down", recent.size(), WINDOW);
            registry.counter("lorastream.streams.threads.failed", "response", "shutdown").increment();
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
        LOG.errorf(exception, "a stream thread failed; replacing it (its tasks resume from their last commit)");
        registry.counter("lorastream.streams.threads.failed", "response", "replaced").increment();
        return StreamThreadExceptionResponse.REPLACE_THREAD;
    }
}
