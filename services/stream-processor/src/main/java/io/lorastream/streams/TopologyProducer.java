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
        Topology topology = new Topology();
        FeedbackDatasets.addTo(topology, config.feedback(), config.trainingPolicy(), datasets, new FeedbackMetrics(registry), Rollout.LIVE_ACCURACY);
        Rollout.addTo(topology, config.rollout(), FeedbackDatasets.INTAKE);
        return topology;
    }
}
