package io.lorastream.serving;

import io.lorastream.events.RegistryEntry;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;

/** {@code GET /v1/tenants} (admin): every tenant in the registry and what this replica holds — the console's overview. */
@Path("/v1/tenants")
@RolesAllowed(TenantAccess.ADMIN_ROLE)
public class TenantsResource {

    public record TenantSummary(String tenant, long revision, Integer stable, Integer candidate, Integer pinned, boolean shadow,
                                double canaryShare) {}

    /** @param residentAdapters adapters in this replica's memory (stable and candidate slots), {@code residentBytes} their tensors */
    public record Tenants(String replica, int residentAdapters, long residentBytes, long cacheMaxBytes, List<TenantSummary> tenants) {}

    private final RolloutView view;
    private final ServedAdapters adapters;
    private final ServingConfig.Serving settings;

    TenantsResource(RolloutView view, ServedAdapters adapters, ServingConfig config) {
        this.view = view;
        this.adapters = adapters;
        this.settings = config.serving();
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Tenants tenants() {
        return new Tenants(adapters.replica(), adapters.residentAdapters(), adapters.residentBytes(), settings.cacheMaxBytes(),
                view.entries().stream().map(TenantsResource::summary).toList());
    }

    private static TenantSummary summary(RegistryEntry e) {
        RegistryEntry.Candidate c = e.candidate();
        return new TenantSummary(e.tenant(), e.revision(), e.stable() == null ? null : e.stable().version(),
                c == null ? null : c.ref().version(), e.pinned() == null ? null : e.pinned().version(), c != null && c.shadow(),
                c == null ? 0 : c.trafficShare());
    }
}
