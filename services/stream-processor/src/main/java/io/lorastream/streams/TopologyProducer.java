package io.lorastream.streams;

import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import org.apache.kafka.streams.Topology;

/** The stream-processor's one topology, one small class per concern. */
@ApplicationScoped
public class TopologyProducer {

    @Produces
    Topology topology(StreamProcessorConfig config, S3DatasetStore datasets, MeterRegistry registry) {
        return compose(config.feedback(), config.trainingPolicy(), config.rollout(), datasets, registry);
    }

    /** Compaction's S3 work: one thread, so that one busy tenant's copy never holds the stream thread. */
    private static final java.util.concurrent.Executor COMPACTIONS = java.util.concurrent.Executors.newSingleThreadExecutor(
            task -> {
                Thread thread = new Thread(task, "dataset-compaction");
                thread.setDaemon(true);
                return thread;
            });

    /** Datasets and training requests, the rollout, and failed requests put back: the whole topology, as tests drive it too. */
    static Topology compose(StreamProcessorConfig.Feedback feedback, StreamProcessorConfig.Policies policies, StreamProcessorConfig.Rollout rollout,
                            DatasetStore datasets, MeterRegistry registry) {
        return compose(feedback, policies, rollout, datasets, registry, COMPACTIONS);
    }

    /**
     * @param background where compaction runs (a test passes one that runs it at once). Public for the scale test
     *                   (load-tests/history), which drives the whole topology through a year of simulated time.
     */
    public static Topology compose(StreamProcessorConfig.Feedback feedback, StreamProcessorConfig.Policies policies, StreamProcessorConfig.Rollout rollout,
                            DatasetStore datasets, MeterRegistry registry, java.util.concurrent.Executor background) {
        return compose(feedback, policies, rollout, datasets, registry, background, StoreMedium.ROCKSDB);
    }

    /** @param stores where the stores live: RocksDB, but in the scale test's simulation ({@link StoreMedium}) */
    public static Topology compose(StreamProcessorConfig.Feedback feedback, StreamProcessorConfig.Policies policies, StreamProcessorConfig.Rollout rollout,
                            DatasetStore datasets, MeterRegistry registry, java.util.concurrent.Executor background, StoreMedium stores) {
        Topology topology = new Topology();
        FeedbackDatasets.addTo(topology, feedback, policies, datasets, new FeedbackMetrics(registry), Rollout.LIVE_ACCURACY, background, stores);
        Rollout.addTo(topology, rollout, FeedbackDatasets.INTAKE, stores);
        TrainingAnswers.addTo(topology);
        return topology;
    }
}
