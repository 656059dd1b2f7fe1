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

    ScoringQueue(BaseModel base, int maxBatchTexts, ServingMetrics metrics) {
        this.classifier = new MixedClassifier(base, maxBatchTexts);
        this.maxBatchTexts = maxBatchTexts;
        this.metrics = metrics;
        this.worker = new Thread(this::run, "scoring");
        this.worker.setDaemon(true);
        this.worker.start();
    }

    /** Predictions for {@code texts} with {@code adapter}, in order; the caller holds the adapter's lease until this completes. */
    CompletableFuture<List<Classifier.Prediction>> submit(Adapter adapter, List<String> texts) {
        CompletableFuture<List<Classifier.Prediction>> result = new CompletableFuture<>();
        queue.add(new Job(adapter, List.copyOf(texts), result));
        return result;
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

    private void score(List<Job> batch, int texts) {
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
