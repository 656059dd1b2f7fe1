package io.lorastream.events;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/** The files of schemas/examples (copied to the test classpath), with the event type each is for. */
record SchemaExamples(EventType type, Path file) {

    static Stream<SchemaExamples> valid() {
        return list("valid");
    }

    static Stream<SchemaExamples> invalid() {
        return list("invalid");
    }

    /** Invalid examples are named {@code <field>--<what>.json}: the field the error must name. */
    String expectedField() {
        return file.getFileName().toString().split("--", 2)[0];
    }

    byte[] bytes() {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return file.getParent().getFileName() + "/" + file.getFileName();
    }

    private static Stream<SchemaExamples> list(String kind) {
        try {
            Path root = Path.of(SchemaExamples.class.getResource("/schema-examples/" + kind).toURI());
            List<SchemaExamples> all;
            try (Stream<Path> files = Files.walk(root)) {
                all = files.filter(f -> f.toString().endsWith(".json")).sorted()
                        .map(f -> new SchemaExamples(typeOf(f.getParent().getFileName().toString()), f))
                        .toList();
            }
            return all.stream();
        } catch (IOException | URISyntaxException e) {
            throw new IllegalStateException("cannot list schema examples", e);
        }
    }

    private static EventType typeOf(String schemaName) {
        return Arrays.stream(EventType.values())
                .filter(t -> t.schemaFile().equals(schemaName + ".json"))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("examples folder " + schemaName + " names no schema"));
    }
}
