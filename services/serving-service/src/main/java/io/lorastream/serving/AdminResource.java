package io.lorastream.serving;

import io.lorastream.events.AdapterCommand;
import io.lorastream.events.AdapterLifecycle;
import io.lorastream.events.AdapterStatus;
import io.lorastream.events.LiveSample;
import io.lorastream.events.RegistryEntry;
import io.lorastream.events.TrainingFailed;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * The admin API (admin tokens only): a tenant's versions, statuses, metrics and traffic split, and
 * promote / roll back / pin / unpin, and offboarding. Serving never writes the registry: each request becomes an
 * {@code adapter-commands} event, and the answer is the stream-processor's lifecycle event for it —
 * 200 once this replica serves the result, 409 with the reason when refused, 202 with the command id
 * when the answer takes longer than {@code lorastream.serving.command-timeout}.
 */
@Path("/v1/tenants/{tenant}")
@RolesAllowed(TenantAccess.ADMIN_ROLE)
public class AdminResource {
    private static final int MAX_REASON = 2000;

    /** Optional body of a command: why (kept in the event), and for a roll-back the version to return to. */
    public record CommandRequest(Integer version, String reason) {}

    /**
     * @param outcome APPLIED (this replica serves the result), LOADING (applied; this replica is still loading it),
     *                PENDING (on adapter-commands, not answered yet)
     */
    public record CommandResult(String commandId, Outcome outcome, AdapterLifecycle.Transition transition, Integer version,
                                Integer stableVersion, String reason, Integer servedVersion) {}

    public enum Outcome { APPLIED, LOADING, PENDING }

    /** @param live its labelled live predictions: of the phase in progress, else when it was last decided on */
    public record VersionView(int version, AdapterStatus status, Double holdoutAccuracy, LiveSample live,
                              List<RegistryEntry.HistoryItem> history) {}

    /**
     * @param trafficSplit     configured share of requests answered per version (a shadow answers none)
     * @param servedNow        the versions this replica serves now, by role
     * @param predictionCounts this replica's predictions since it started, by version and route
     * @param trainingFailures the tenant's newest training requests that made no version, seen since this replica started
     */
    public record TenantAdapters(String tenant, long revision, Instant updatedAt, Integer stable, Integer candidate, Integer pinned,
                                 boolean shadow, Map<Integer, Double> trafficSplit, Map<String, Integer> servedNow,
                                 Map<Integer, Map<String, Long>> predictionCounts, List<VersionView> versions,
                                 List<TrainingFailed> trainingFailures) {}

    @Inject
    JsonWebToken token;

    private final RolloutView view;
    private final ServedAdapters adapters;
    private final ServingMetrics metrics;
    private final ServingConfig.Serving settings;
    private final MutinyEmitter<AdapterCommand> commands;
    private final Clock clock = Clock.systemUTC();

    AdminResource(RolloutView view, ServedAdapters adapters, ServingMetrics metrics, ServingConfig config,
                  @Channel("adapter-commands") MutinyEmitter<AdapterCommand> commands) {
        this.view = view;
        this.adapters = adapters;
        this.metrics = metrics;
        this.settings = config.serving();
        this.commands = commands;
    }

    @GET
    @Path("adapters")
    @Produces(MediaType.APPLICATION_JSON)
    public TenantAdapters adapters(@PathParam("tenant") String tenant) {
        TenantAccess.check(token, tenant);
        RegistryEntry entry = view.entry(tenant).orElseThrow(() -> new ServedAdapters.NoAdapterException(tenant));
        RegistryEntry.Candidate candidate = entry.pinned() == null ? entry.candidate() : null;
        Map<Integer, Double> split = new TreeMap<>();
        if (entry.pinned() != null) {
            split.put(entry.pinned().version(), 1.0);
        } else if (entry.stable() != null) {
            double share = candidate == null || candidate.shadow() ? 0 : candidate.trafficShare();
            split.put(entry.stable().version(), 1 - share);
            if (candidate != null) {
                split.merge(candidate.ref().version(), share, Double::sum);
            }
        }
        Map<String, Integer> servedNow = new LinkedHashMap<>();
        servedNow.put("stable", adapters.servedVersion(Slots.stable(tenant)));
        servedNow.put("candidate", adapters.servedVersion(Slots.candidate(tenant)));
        return new TenantAdapters(tenant, entry.revision(), entry.updatedAt(), version(entry.stable()),
                entry.candidate() == null ? null : entry.candidate().ref().version(), version(entry.pinned()),
                entry.candidate() != null && entry.candidate().shadow(), split, servedNow, metrics.predictionCounts(tenant), versions(entry),
                view.trainingFailures(tenant));
    }

    private static List<VersionView> versions(RegistryEntry entry) {
        Map<Integer, List<RegistryEntry.HistoryItem>> byVersion = new TreeMap<>();
        entry.history().forEach(h -> byVersion.computeIfAbsent(h.version(), v -> new ArrayList<>()).add(h));
        Map<Integer, LiveSample> phase = new TreeMap<>();
        if (entry.live() != null) {
            entry.live().forEach(s -> phase.put(s.version(), s));
        }
        List<VersionView> views = new ArrayList<>();
        byVersion.forEach((version, items) -> {
            Double holdout = items.stream().map(RegistryEntry.HistoryItem::holdoutAccuracy).filter(Objects::nonNull).reduce((a, b) -> b).orElse(null);
            LiveSample live = phase.containsKey(version) ? phase.get(version)
                    : items.stream().map(RegistryEntry.HistoryItem::live).filter(Objects::nonNull).reduce((a, b) -> b).orElse(null);
            views.add(new VersionView(version, items.get(items.size() - 1).status(), holdout, live, items));
        });
        return views;
    }

    private static Integer version(RegistryEntry.VersionRef ref) {
        return ref == null ? null : ref.version();
    }

    @POST
    @Path("adapters/rollback")
    @Produces(MediaType.APPLICATION_JSON)
    @Blocking
    public Response rollback(@PathParam("tenant") String tenant, CommandRequest body) throws InterruptedException {
        return command(tenant, AdapterCommand.Action.ROLLBACK, body == null ? null : body.version(), body);
    }

    @POST
    @Path("adapters/{version}/promote")
    @Produces(MediaType.APPLICATION_JSON)
    @Blocking
    public Response promote(@PathParam("tenant") String tenant, @PathParam("version") String version, CommandRequest body)
            throws InterruptedException {
        return command(tenant, AdapterCommand.Action.PROMOTE, versionNumber(version), body);
    }

    @POST
    @Path("adapters/{version}/pin")
    @Produces(MediaType.APPLICATION_JSON)
    @Blocking
    public Response pin(@PathParam("tenant") String tenant, @PathParam("version") String version, CommandRequest body)
            throws InterruptedException {
        return command(tenant, AdapterCommand.Action.PIN, versionNumber(version), body);
    }

    @POST
    @Path("adapters/unpin")
    @Produces(MediaType.APPLICATION_JSON)
    @Blocking
    public Response unpin(@PathParam("tenant") String tenant, CommandRequest body) throws InterruptedException {
        return command(tenant, AdapterCommand.Action.UNPIN, null, body);
    }

    /**
     * Offboards the tenant: its datasets, adapters, registry entry (a tombstone), stream state and metrics are removed
     * (the stream-processor, then the trainer, then the rollout; docs/feedback.md). 200 once this replica has seen the
     * tombstone, 202 with the command id while it is under way. Feedback sent later starts a new tenant of that name.
     * No body (a DELETE): the optional {@code reason} is a query parameter.
     */
    @DELETE
    @Produces(MediaType.APPLICATION_JSON)
    @Blocking
    public Response offboard(@PathParam("tenant") String tenant, @jakarta.ws.rs.QueryParam("reason") String reason) throws InterruptedException {
        return command(tenant, AdapterCommand.Action.OFFBOARD, null, reason == null ? null : new CommandRequest(null, reason));
    }

    /**
     * A right-to-erasure request: the example {@code id} of the tenant leaves its future training (docs/feedback.md says how
     * fast it leaves each place). 200 once the stream-processor has recorded it.
     */
    @DELETE
    @Path("feedback/{id}")
    @Produces(MediaType.APPLICATION_JSON)
    @Blocking
    public Response erase(@PathParam("tenant") String tenant, @PathParam("id") String id, @jakarta.ws.rs.QueryParam("reason") String reason)
            throws InterruptedException {
        if (id.isEmpty() || id.length() > 128) {
            throw new TenantAccess.InvalidRequestException("id: a feedback id has 1 to 128 characters, this one " + id.length());
        }
        return command(tenant, AdapterCommand.Action.ERASE, null, reason == null ? null : new CommandRequest(null, reason), id);
    }

    private static int versionNumber(String version) {
        String digits = version.startsWith("v") ? version.substring(1) : version;
        try {
            int v = Integer.parseInt(digits);
            if (v >= 1) {
                return v;
            }
        } catch (NumberFormatException notANumber) {
            // refused below
        }
        throw new TenantAccess.InvalidRequestException("version: '" + version + "' is not a version number (1, 2, … or v1, v2, …)");
    }

    private Response command(String tenant, AdapterCommand.Action action, Integer version, CommandRequest body) throws InterruptedException {
        return command(tenant, action, version, body, null);
    }

    private Response command(String tenant, AdapterCommand.Action action, Integer version, CommandRequest body, String feedbackId)
            throws InterruptedException {
        TenantAccess.check(token, tenant);
        if (body != null && body.version() != null && body.version() < 1) {
            throw new TenantAccess.InvalidRequestException("version: " + body.version() + " is not a version number (at least 1)");
        }
        String reason = body == null ? null : body.reason();
        if (reason != null && reason.length() > MAX_REASON) {
            throw new TenantAccess.InvalidRequestException("reason: " + reason.length() + " characters, at most " + MAX_REASON);
        }
        Instant deadline = clock.instant().plus(settings.commandTimeout());
        AdapterCommand command = new AdapterCommand(UUID.randomUUID().toString(), tenant, action, version,
                token.getSubject() == null ? "admin" : token.getSubject(), reason, clock.instant(), feedbackId);
        CompletableFuture<AdapterLifecycle> answer = view.await(command.commandId());
        try {
            commands.sendMessage(Message.of(command).addMetadata(OutgoingKafkaRecordMetadata.<String>builder().withKey(tenant).build()))
                    .await().atMost(settings.commandTimeout());
        } catch (RuntimeException e) {
            view.forget(command.commandId());
            throw new CommandNotSentException("the command could not be written to adapter-commands: " + e.getMessage());
        }
        AdapterLifecycle outcome;
        try {
            outcome = answer.get(remaining(deadline), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            view.forget(command.commandId());
            return Response.accepted(new CommandResult(command.commandId(), Outcome.PENDING, null, version, null,
                    "sent; the stream-processor has not answered within " + settings.commandTimeout().toMillis() + " ms", null)).build();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
        if (outcome.transition() == AdapterLifecycle.Transition.REFUSED) {
            throw new CommandRefusedException(command.commandId(), outcome.reason());
        }
        boolean served = servesTheOutcome(tenant, outcome, deadline);
        return Response.status(served ? Response.Status.OK : Response.Status.ACCEPTED)
                .entity(new CommandResult(command.commandId(), served ? Outcome.APPLIED : Outcome.LOADING, outcome.transition(), outcome.version(),
                        outcome.stableVersion(), outcome.reason(), adapters.servedVersion(Slots.stable(tenant)))).build();
    }

    /**
     * Waits until this replica has the registry entry written with the answer and serves what it names,
     * so the next request is answered by the outcome (a manual roll-back takes effect on the next request).
     */
    private boolean servesTheOutcome(String tenant, AdapterLifecycle outcome, Instant deadline) throws InterruptedException {
        while (true) {
            if (outcome.transition() == AdapterLifecycle.Transition.ERASED) {
                return true; // nothing to serve differently
            }
            boolean offboarded = outcome.transition() == AdapterLifecycle.Transition.OFFBOARDED;
            boolean entrySeen = offboarded ? view.entry(tenant).isEmpty()
                    : view.entry(tenant).filter(e -> !e.updatedAt().isBefore(outcome.at())).isPresent();
            if (entrySeen && settled(Slots.stable(tenant)) && settled(Slots.candidate(tenant))) {
                return true;
            }
            if (remaining(deadline) <= 0) {
                return false;
            }
            Thread.sleep(10);
        }
    }

    private boolean settled(String slot) {
        return Objects.equals(adapters.servedVersion(slot), adapters.targetVersion(slot));
    }

    private long remaining(Instant deadline) {
        return Math.max(0, Duration.between(clock.instant(), deadline).toMillis());
    }

    /** 409: the state machine refused the command; the reason says why. */
    static final class CommandRefusedException extends RuntimeException {
        final String commandId;

        CommandRefusedException(String commandId, String reason) {
            super(reason);
            this.commandId = commandId;
        }
    }

    /** 503, retriable: Kafka did not take the command. */
    static final class CommandNotSentException extends RuntimeException {
        CommandNotSentException(String message) {
            super(message);
        }
    }
}
