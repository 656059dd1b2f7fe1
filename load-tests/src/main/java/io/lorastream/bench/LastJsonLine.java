package io.lorastream.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** A benchmark child (a phase's JVM, a PyTorch peer) reports one JSON object on its last line of output. */
final class LastJsonLine {
    private LastJsonLine() {}

    /** Reads {@code process}'s output to its end and returns the object on its last line; fails naming {@code what}. */
    static Map<String, Object> of(Process process, String what) throws Exception {
        String last = null;
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                last = line;
            }
        }
        if (process.waitFor() != 0 || last == null) {
            throw new IllegalStateException(what + " failed (exit " + process.exitValue() + ")");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> result = new ObjectMapper().readValue(last, Map.class);
        return result;
    }
}
