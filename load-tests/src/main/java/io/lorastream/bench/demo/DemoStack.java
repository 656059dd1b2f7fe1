package io.lorastream.bench.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.lorastream.bench.StackClient;
import io.lorastream.bench.demo.DemoData.Feedback;
import io.lorastream.events.EventJson;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/** The calls the demo makes on the stack: feedback to ingest, scoring and the admin API on serving. */
final class DemoStack {
    /** Items per feedback request. */
    private static final int BATCH = 100;

    private final StackClient client;
    private final String ingest;
    private final String serving;

    DemoStack(StackClient client, String ingest, String serving) {
        this.client = client;
        this.ingest = ingest;
        this.serving = serving;
    }

    String serving() {
        return serving;
    }

    void sendFeedback(String tenant, List<Feedback> items) throws IOException, InterruptedException {
        for (int from = 0; from < items.size(); from += BATCH) {
            ArrayNode batch = EventJson.MAPPER.createArrayNode();
            for (Feedback f : items.subList(from, Math.min(items.size(), from + BATCH))) {
                batch.addObject().put("id", f.id()).put("text", f.text()).put("label", f.label());
            }
            client.post(ingest + "/v1/tenants/" + tenant + "/feedback", batch.toString());
        }
    }

    /** A label for one served prediction: feedback that names its {@code predictionId}. */
    void label(String tenant, Feedback f, String predictionId) throws IOException, InterruptedException {
        client.post(ingest + "/v1/tenants/" + tenant + "/feedback", EventJson.MAPPER.createObjectNode()
                .put("id", f.id()).put("text", f.text()).put("label", f.label()).put("predictionId", predictionId).toString());
    }

    /** The one prediction for {@code text}; serving must answer 200. */
    JsonNode score(String tenant, String text) throws IOException, InterruptedException {
        return client.score(serving, tenant, List.of(text)).path("predictions").get(0);
    }

    /** The same, whatever serving answers (a tenant's first version may not be loaded yet). */
    StackClient.Response tryScore(String tenant, String text) throws IOException, InterruptedException {
        return client.call("POST", serving + "/v1/tenants/" + tenant + "/score", EventJson.MAPPER.writeValueAsString(Map.of("texts", List.of(text))));
    }

    /** An admin call on serving, whatever its status. */
    StackClient.Response admin(String method, String path, String body) throws IOException, InterruptedException {
        return client.call(method, serving + path, body);
    }

    JsonNode adapters(String tenant) throws IOException, InterruptedException {
        return admin("GET", "/v1/tenants/" + tenant + "/adapters", null).body();
    }

    int stableVersion(String tenant) throws IOException, InterruptedException {
        return adapters(tenant).path("stable").asInt();
    }

    /** Scores until {@code tenant}'s answers come from {@code version} or later: the registry entry reached serving and the adapter is loaded. */
    void awaitServed(AdapterEventLog events, String tenant, int version) throws Exception {
        while (true) {
            StackClient.Response r = tryScore(tenant, "warm up");
            if (r.status() == 200 && r.body().path("predictions").get(0).path("version").asInt() >= version) {
                return;
            }
            events.checkDeadline("serving " + tenant + " v" + version + " (last answer " + r.status() + ")");
            Thread.sleep(200);
        }
    }
}
