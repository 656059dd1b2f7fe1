package io.lorastream.ingest;

import io.quarkus.runtime.Startup;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** The checked settings, built once at start: a bad lorastream.ingest.* value stops the service with its key named. */
public class IngestBeans {

    @Produces
    @Singleton
    @Startup
    IngestLimits limits(IngestConfig config) {
        return IngestLimits.from(config);
    }
}
