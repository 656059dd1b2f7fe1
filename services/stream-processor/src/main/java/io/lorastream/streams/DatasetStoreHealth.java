package io.lorastream.streams;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Readiness: down while writes to S3 fail (examples then wait in the state stores, nothing is lost). */
@Readiness
@ApplicationScoped
public class DatasetStoreHealth implements HealthCheck {
    private final S3DatasetStore store;

    DatasetStoreHealth(S3DatasetStore store) {
        this.store = store;
    }

    @Override
    public HealthCheckResponse call() {
        String failure = store.lastFailure();
        return HealthCheckResponse.named("s3-datasets")
                .status(failure == null)
                .withData("bucket", store.bucket())
                .withData("lastFailure", failure == null ? "none" : failure)
                .build();
    }
}
