package io.lorastream.streams;

import io.lorastream.events.EventSerde;
import io.lorastream.events.FeedbackReceived;
import io.lorastream.events.ScoreCompleted;
import io.lorastream.events.Topics;
import java.time.Duration;
import java.time.Instant;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.jboss.logging.Logger;

/**
 * The join of labels with predictions: every prediction on {@code score-results} is remembered for the
 * label window (its version and label by prediction id); accepted feedback that names a prediction id
 * becomes a live label of that version, correct or not. A label for a prediction not (or no longer)
 * remembered counts for nothing: labels follow their predictions. In shadow mode the candidate's
 * prediction of the same text is remembered beside the answer's, and one label counts for both.
 */
final class LiveAccuracy implements Processor<String, Object, String, Rollout.LiveLabel> {
    private static final Logger LOG = Logger.getLogger(LiveAccuracy.class);

    private static final String SHADOW = "#shadow";

    private final Duration window;
    private final Deserializer<ScoreCompleted> results = EventSerde.of(ScoreCompleted.class, FeedbackDatasets.SOURCE).deserializer();
    private ProcessorContext<String, Rollout.LiveLabel> context;
    private WindowStore<String, String> predictions;

    LiveAccuracy(Duration window) {
        this.window = window;
    }

    @Override
    public void init(ProcessorContext<String, Rollout.LiveLabel> context) {
        this.context = context;
        this.predictions = context.getStateStore(Rollout.PREDICTIONS_STORE);
    }

    @Override
    public void process(Record<String, Object> record) {
        if (record.value() instanceof FeedbackReceived feedback) {
            label(feedback, record.timestamp());
        } else if (record.value() instanceof byte[] bytes) {
            remember(record, bytes);
        }
    }

    private void remember(Record<String, Object> record, byte[] bytes) {
        ScoreCompleted completed;
        try {
            completed = results.deserialize(Topics.SCORE_RESULTS, record.headers(), bytes);
        } catch (RuntimeException e) {
            LOG.warnf("skipped a score-results record that is not a valid event: %s", e.getMessage());
            return;
        }
        if (completed == null) {
            return;
        }
        for (ScoreCompleted.Prediction p : completed.predictions()) {
            predictions.put(key(completed.tenant(), p.predictionId()), p.version() + "\t" + p.label(), record.timestamp());
        }
        if (completed.shadowPredictions() != null) {
            for (ScoreCompleted.Prediction p : completed.shadowPredictions()) {
                predictions.put(key(completed.tenant(), p.predictionId()) + SHADOW, p.version() + "\t" + p.label(), record.timestamp());
            }
        }
    }

    private void label(FeedbackReceived feedback, long time) {
        String key = key(feedback.tenant(), feedback.predictionId());
        String answered = find(key, time);
        if (answered == null) {
            LOG.debugf("label for unknown prediction %s of %s", feedback.predictionId(), feedback.tenant());
            return;
        }
        forward(feedback, answered, time);
        String shadow = find(key + SHADOW, time);
        if (shadow != null) {
            forward(feedback, shadow, time);
        }
    }

    private String find(String key, long time) {
        String found = null;
        try (WindowStoreIterator<String> it = predictions.fetch(key, Instant.ofEpochMilli(time - window.toMillis()),
                Instant.ofEpochMilli(time + window.toMillis()))) {
            while (it.hasNext()) {
                found = it.next().value;
            }
        }
        return found;
    }

    /** {@code prediction} is "version TAB label". */
    private void forward(FeedbackReceived feedback, String prediction, long time) {
        int tab = prediction.indexOf('\t');
        int version = Integer.parseInt(prediction.substring(0, tab));
        boolean correct = prediction.substring(tab + 1).equals(feedback.label());
        context.forward(new Record<>(feedback.tenant(), new Rollout.LiveLabel(feedback.tenant(), version, correct), time));
    }

    /** The tenant of a predictions store key ({@code tenant/predictionId}). */
    static String tenantOf(String key) {
        return key.substring(0, key.indexOf('/'));
    }

    private static String key(String tenant, String predictionId) {
        return tenant + "/" + predictionId;
    }
}
