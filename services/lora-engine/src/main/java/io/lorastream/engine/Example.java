package io.lorastream.engine;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** One labelled text. */
public record Example(String text, String label) {

    public Example {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("example text is empty");
        }
        if (label == null || label.isEmpty()) {
            throw new IllegalArgumentException("example label is empty");
        }
    }

    /**
     * Reads a TSV with header {@code sentence<TAB>label}, one example per line. Sentences may hold any
     * character but tab; a malformed line fails naming the file and line number.
     */
    public static List<Example> readTsv(Path file) throws IOException {
        List<Example> examples = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String header = reader.readLine();
            if (header == null || !header.strip().equals("sentence\tlabel")) {
                throw new IllegalArgumentException(file + ":1: header must be 'sentence<TAB>label', found '" + header + "'");
            }
            String line;
            int number = 1;
            while ((line = reader.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                String[] fields = line.split("\t", -1);
                if (fields.length != 2) {
                    throw new IllegalArgumentException(file + ":" + number + ": expected 2 tab-separated fields, found " + fields.length);
                }
                String text = fields[0].strip();
                String label = fields[1].strip();
                if (text.isEmpty() || label.isEmpty()) {
                    throw new IllegalArgumentException(file + ":" + number + ": empty " + (text.isEmpty() ? "sentence" : "label"));
                }
                examples.add(new Example(text, label));
            }
        }
        if (examples.isEmpty()) {
            throw new IllegalArgumentException(file + " has no examples");
        }
        return examples;
    }
}
