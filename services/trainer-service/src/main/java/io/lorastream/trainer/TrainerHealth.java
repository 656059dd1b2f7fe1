package io.lorastream.trainer;

import io.lorastream.engine.BaseModel;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Readiness: the base model is loaded and S3/Kafka are not failing (jobs retry with backoff meanwhile). */
@Readiness
@ApplicationScoped
public class TrainerHealth implements HealthCheck {
    private final BaseModel base;
    private final TrainingWorker worker;

    TrainerHealth(BaseModel base, TrainingWorker worker) {
        this.base = base;
        this.worker = worker;
    }

    @Override
    public HealthCheckResponse call() {
        String failure = worker.lastFailure();
        return HealthCheckResponse.named("trainer")
                .status(failure == null)
                .withData("base", base.id())
                .withData("device", base.device().toString())
                .withData("lastFailure", failure == null ? "none" : failure)
                .build();
    }
}
