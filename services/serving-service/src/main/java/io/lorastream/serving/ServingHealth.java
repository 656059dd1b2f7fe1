package io.lorastream.serving;

import io.lorastream.engine.BaseModel;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Readiness: the base is loaded and the registry, as it was at start, is read and its versions loaded (first requests are warm). */
@Readiness
@ApplicationScoped
public class ServingHealth implements HealthCheck {
    private final BaseModel base;
    private final RegistryFollower registry;
    private final ServedAdapters adapters;

    ServingHealth(BaseModel base, RegistryFollower registry, ServedAdapters adapters) {
        this.base = base;
        this.registry = registry;
        this.adapters = adapters;
    }

    @Override
    public HealthCheckResponse call() {
        boolean preloaded = registry.preloaded().isDone() && !registry.preloaded().isCompletedExceptionally();
        return HealthCheckResponse.named("serving")
                .status(preloaded)
                .withData("base", base.id())
                .withData("device", base.device().toString())
                .withData("registry", preloaded ? "read and preloaded" : registry.preloaded().isCompletedExceptionally() ? "follower failed" : "reading")
                .withData("tenantsServed", adapters.tenantsServed())
                .build();
    }
}
