package io.lorastream.ingest;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.lorastream.testing.TestTokenKeys;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** No broker at the configured address: a batch is answered 503 with Retry-After, and readiness is down. */
@QuarkusTest
@TestProfile(KafkaUnreachableTest.NoBroker.class)
@QuarkusTestResource(value = TestTokenKeys.class, restrictToAnnotatedClass = true)
class KafkaUnreachableTest {

    public static class NoBroker implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("kafka.bootstrap.servers", "127.0.0.1:" + closedPort(),
                    "lorastream.ingest.publish-timeout", "PT3S",
                    "lorastream.ingest.retry-after", "PT7S");
        }
    }

    static int closedPort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @TestHTTPResource(value = "/", management = true)
    java.net.URL management;

    @Test
    void aBatchIsAnswered503WithRetryAfterNeverSilentlyDropped() {
        given().auth().oauth2(FeedbackResourceTest.token("acme")).contentType("application/json")
                .body("[{\"text\":\"a\",\"label\":\"p\"},{\"text\":\"b\",\"label\":\"p\"}]")
                .when().post("/v1/tenants/acme/feedback")
                .then().statusCode(503)
                .contentType(Problem.MEDIA_TYPE)
                .header("Retry-After", equalTo("7"))
                .body("detail", containsString("send the batch again"));
        given().when().get(management + "health/ready").then().statusCode(503);
    }
}
