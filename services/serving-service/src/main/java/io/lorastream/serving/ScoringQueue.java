package io.lorastream.serving;

import io.lorastream.engine.Adapter;
import io.lorastream.engine.BaseModel;
import io.lorastream.engine.Classifier;
import io.lorastream.engine.MixedClassifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import org.jboss.logging.Logger;

/**
 * Micro-batching: concurrent requests, of any tenants, are scored together in one forward — base
 * matmuls once, each adapter's LoRA delta over its own rows ({@link MixedClassifier}). One thread owns
 * the device; it takes whatever is waiting, up to {@code maxBatchTexts} texts, so an idle service adds
 * no wait and a busy one fills its batches.
 *
 * <p>Bounded: at most {@code maxQueuedTexts} texts wait. Beyond that a request is refused at once
 * ({@link OverloadedException}: 429 with Retry-After on REST, a retry then a dead letter on Kafka) instead of
 * queueing without end; a request whose caller gave up waiting is skipped, not scored.
 */
final class ScoringQueue implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ScoringQueue.class);

    private record Job(Adapter adapter, List<String> texts, CompletableFuture<List<Classifier.Prediction>> result) {}

    private static final Job STOP = new Job(null, List.of(), null);

    private final MixedClassifier classifier;
    private final int maxBatchTexts;
    private final ServingMetrics metrics;
    private final BlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    private final Thread worker;
    private final int maxQueuedTexts;
    /** Texts submitted and not yet taken into a batch. */
    private final java.util.concurrent.atomic.AtomicInteger queuedTexts = new java.util.concurrent.atomic.AtomicInteger();

    ScoringQueue(BaseModel base, int maxBatchTexts, int maxQueuedTexts, ServingMetrics metrics) {
        this.classifier = new MixedClassifier(base, maxBatchTexts);
        this.maxBatchTexts = maxBatchTexts;
        this.maxQueuedTexts = maxQueuedTexts;
        this.metrics = metrics;
        this.worker = new Thread(this::run, "scoring");
        this.worker.setDaemon(true);
    }

    /** Starts the scoring thread; what was submitted before waits until then. */
    ScoringQueue start() {
        worker.start();
        return this;
    }

    /**
     * Predictions for {@code texts} with {@code adapter}, in order; the caller holds the adapter's lease until this
     * completes. Cancelling the future before its batch is taken skips it.
     *
     * @throws OverloadedException when {@code maxQueuedTexts} texts already wait
     */
    CompletableFuture<List<Classifier.Prediction>> submit(Adapter adapter, List<String> texts) {
        int waiting = queuedTexts.addAndGet(texts.size());
        if (waiting > maxQueuedTexts && waiting != texts.size()) { // one request alone is always taken: its size is bounded elsewhere
            queuedTexts.addAndGet(-texts.size());
            throw new OverloadedException(waiting - texts.size(), maxQueuedTexts);
        }
        CompletableFuture<List<Classifier.Prediction>> result = new CompletableFuture<>();
        queue.add(new Job(adapter, List.copyOf(texts), result));
        return result;
    }

    /** Texts waiting now. */
    int queuedTexts() {
        return queuedTexts.get();
    }

    /** Retriable: too many texts wait for the device; send again after a moment. */
    static final class OverloadedException extends RuntimeException {
        OverloadedException(int waiting, int max) {
            super(waiting + " texts wait for scoring on this replica, at most " + max + " (lorastream.serving.max-queued-texts): try again shortly");
        }
    }

    private void run() {
        while (true) {
            List<Job> batch = new ArrayList<>();
            try {
                Job first = queue.take();
                if (first == STOP) {
                    return;
                }
                batch.add(first);
            } catch (InterruptedException e) {
                return;
            }
            int texts = batch.get(0).texts().size();
            for (Job next = queue.peek(); next != null && next != STOP && texts + next.texts().size() <= maxBatchTexts; next = queue.peek()) {
                batch.add(queue.poll()); // the only taker: peek then poll is safe
                texts += next.texts().size();
            }
            score(batch, texts);
        }
    }

    private void score(List<Job> taken, int takenTexts) {
        queuedTexts.addAndGet(-takenTexts);
        List<Job> batch = taken.stream().filter(job -> !job.result().isDone()).toList(); // a caller that gave up is not scored
        int texts = batch.stream().mapToInt(job -> job.texts().size()).sum();
        if (batch.isEmpty()) {
            return;
        }
        List<Adapter> rowAdapters = new ArrayList<>(texts);
        List<String> rowTexts = new ArrayList<>(texts);
        for (Job job : batch) {
            rowAdapters.addAll(Collections.nCopies(job.texts().size(), job.adapter()));
            rowTexts.addAll(job.texts());
        }
        try {
            List<Classifier.Prediction> predictions = classifier.predict(rowAdapters, rowTexts);
            Set<Adapter> distinct = Collections.newSetFromMap(new IdentityHashMap<>());
            batch.forEach(job -> distinct.add(job.adapter()));
            metrics.batch(texts, distinct.size());
            int at = 0;
            for (Job job : batch) {
                job.result().complete(List.copyOf(predictions.subList(at, at + job.texts().size())));
                at += job.texts().size();
            }
        } catch (RuntimeException e) {
            LOG.errorf(e, "scoring a batch of %d texts failed", texts);
            batch.forEach(job -> job.result().completeExceptionally(e));
        }
    }

    @Override
    public void close() {
        queue.add(STOP);
        try {
            worker.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
