package io.lorastream.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SchemaExamplesTest {

    static Stream<SchemaExamples> valid() {
        return SchemaExamples.valid();
    }

    static Stream<SchemaExamples> invalid() {
        return SchemaExamples.invalid();
    }

    @Test
    void everyEventTypeHasValidAndInvalidExamples() {
        Set<EventType> withValid = valid().map(SchemaExamples::type).collect(Collectors.toSet());
        Set<EventType> withInvalid = invalid().map(SchemaExamples::type).collect(Collectors.toSet());
        assertThat(withValid).containsExactlyInAnyOrderElementsOf(EnumSet.allOf(EventType.class));
        assertThat(withInvalid).containsExactlyInAnyOrderElementsOf(EnumSet.allOf(EventType.class));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valid")
    void validExampleValidates(SchemaExamples example) throws Exception {
        JsonNode tree = EventJson.MAPPER.readTree(example.bytes());
        assertThat(EventSchemas.get().validate(example.type(), tree)).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valid")
    void validExampleRoundTripsThroughTheRecord(SchemaExamples example) throws Exception {
        LoraEvent event = EventJson.decode(example.type(), example.bytes(), LoraEvent.class);
        assertThat(event).isInstanceOf(example.type().javaType());

        byte[] written = EventJson.encode(event);
        // Same JSON value: 100 and 100.0 are one number.
        assertThat(EventJson.MAPPER.readTree(written).equals(SchemaExamplesTest::sameNode, EventJson.MAPPER.readTree(example.bytes())))
                .as("re-encoded %s equals the example", example).isTrue();
        assertThat(EventSchemas.get().validate(example.type(), EventJson.MAPPER.readTree(written))).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valid")
    void validExampleRoundTripsAsABinaryCloudEvent(SchemaExamples example) throws Exception {
        LoraEvent event = EventJson.decode(example.type(), example.bytes(), LoraEvent.class);
        EventSerde<LoraEvent> serde = EventSerde.of(LoraEvent.class, "/lorastream/test");
        RecordHeaders headers = new RecordHeaders();

        byte[] value = serde.serializer().serialize("any", headers, event);

        assertThat(header(headers, "ce_specversion")).isEqualTo("1.0");
        assertThat(header(headers, "ce_type")).isEqualTo(example.type().type());
        assertThat(header(headers, "ce_id")).isEqualTo(event.cloudEventId());
        assertThat(header(headers, "ce_source")).isEqualTo("/lorastream/test");
        assertThat(header(headers, "ce_dataschema")).isEqualTo(example.type().dataSchema().toString());
        assertThat(header(headers, "content-type")).isEqualTo("application/json");
        // What the Java serializer writes is valid against the schema.
        assertThat(EventSchemas.get().validate(example.type(), EventJson.MAPPER.readTree(value))).isEmpty();
        assertThat(serde.deserializer().deserialize("any", headers, value)).isEqualTo(event);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void invalidExampleIsRefusedNamingItsField(SchemaExamples example) throws Exception {
        JsonNode tree = EventJson.MAPPER.readTree(example.bytes());
        assertThat(EventSchemas.get().validate(example.type(), tree))
                .isNotEmpty()
                .anySatisfy(message -> assertThat(message).contains(example.expectedField()));

        assertThatThrownBy(() -> EventJson.decode(example.type(), example.bytes(), LoraEvent.class))
                .isInstanceOf(InvalidEventException.class)
                .hasMessageContaining(example.expectedField());
    }

    @Test
    void everySchemaFileHasAnEventTypeOrIsShared() throws Exception {
        var root = java.nio.file.Path.of(getClass().getResource("/schemas").toURI());
        try (var files = java.nio.file.Files.list(root)) {
            Set<String> schemaFiles = files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".json")).collect(Collectors.toSet());
            Set<String> typed = Arrays.stream(EventType.values()).map(EventType::schemaFile).collect(Collectors.toSet());
            assertThat(schemaFiles).containsAll(typed);
            assertThat(schemaFiles).containsExactlyInAnyOrderElementsOf(
                    Stream.concat(typed.stream(), Stream.of("common.v1.json")).toList());
        }
    }

    private static int sameNode(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue());
        }
        return a.equals(b) ? 0 : 1;
    }

    private static String header(RecordHeaders headers, String name) {
        var header = headers.lastHeader(name);
        assertThat(header).as("header " + name).isNotNull();
        return new String(header.value(), StandardCharsets.UTF_8);
    }
}
