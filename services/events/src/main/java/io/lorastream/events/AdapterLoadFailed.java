package io.lorastream.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;

/**
 * A serving replica refused a version (corrupt, partial or for another base) and kept serving what it had
 * ({@code adapter-load-failed.v1.json}).
 *
 * @param servingVersion what the replica still serves for the tenant; null when none
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AdapterLoadFailed(String tenant, int version, String uri, String replica, Integer servingVersion, String reason,
                                Instant at) implements AdapterEvent {

    /** Keeps the reason inside the schema's 4,000 characters. */
    public static AdapterLoadFailed of(String tenant, int version, String uri, String replica, Integer servingVersion, String reason,
                                       Instant at) {
        return new AdapterLoadFailed(tenant, version, uri, replica, servingVersion,
                reason.length() > 4000 ? reason.substring(0, 3997) + "..." : reason, at);
    }

    @Override public String cloudEventId() { return "adapter-load-failed:" + tenant + ":v" + version + ":" + replica; }
    @Override public String kafkaKey() { return tenant; }
    @Override public Instant occurredAt() { return at; }
}
