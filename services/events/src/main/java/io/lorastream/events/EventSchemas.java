package io.lorastream.events;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The JSON Schemas of {@code schemas/} (shipped in this jar), compiled once. Thread-safe. */
public final class EventSchemas {
    private static final EventSchemas INSTANCE = new EventSchemas();

    private final JsonSchemaFactory factory;
    private final SchemaValidatorsConfig config;
    private final Map<EventType, JsonSchema> byType = new EnumMap<>(EventType.class);

    private EventSchemas() {
        factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012, builder -> builder
                .schemaMappers(mappers -> mappers.mapPrefix(EventType.SCHEMA_BASE, "classpath:schemas/")));
        // Draft 2020-12 treats "format" as an annotation by default; we want date-time enforced.
        config = SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
        for (EventType type : EventType.values()) {
            JsonSchema schema = factory.getSchema(SchemaLocation.of(type.dataSchema().toString()), config);
            schema.initializeValidators();
            byType.put(type, schema);
        }
    }

    public static EventSchemas get() {
        return INSTANCE;
    }

    /** Problems of {@code data} against the schema of {@code type}; empty when valid. */
    public List<String> validate(EventType type, JsonNode data) {
        Set<ValidationMessage> messages = byType.get(type).validate(data);
        return messages.stream().map(ValidationMessage::getMessage).sorted().toList();
    }
}
