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

    /** Datasets and training requests, the rollout, and failed requests put back: the whole topology, as tests drive it too. */
    static Topology compose(StreamProcessorConfig.Feedback feedback, StreamProcessorConfig.Policies policies, StreamProcessorConfig.Rollout rollout,
                            DatasetStore datasets, MeterRegistry registry) {
        Topology topology = new Topology();
        FeedbackDatasets.addTo(topology, feedback, policies, datasets, new FeedbackMetrics(registry), Rollout.LIVE_ACCURACY);
        Rollout.addTo(topology, rollout, FeedbackDatasets.INTAKE);
        TrainingFailures.addTo(topology);
        return topology;
    }
}
