package io.lorastream.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A user's clone holds this repository and nothing beside it: no tracked file may point at the
 * development workspace around it (its sibling folder of shared notes and data, or those notes by name).
 * Everything the code relies on is written into docs/, and the data it needs is under load-tests/data.
 */
class SelfContainedRepositoryTest {
    static final Path ROOT = Path.of(System.getProperty("lorastream.root", "../..")).toAbsolutePath().normalize();

    /** Spelt in pieces, so that this file does not match itself. */
    static final Pattern OUTSIDE = Pattern.compile(Pattern.quote("../" + "shared") + "|" + Pattern.quote("DESIGN" + ".md")
            + "|" + Pattern.quote("PLATFORM" + "-NOTES"));

    @Test
    void noTrackedFileRefersToAnythingOutsideTheRepository() throws Exception {
        List<Path> files = trackedFiles();
        assertThat(files).as("the repository's files").hasSizeGreaterThan(100);
        List<String> found = new ArrayList<>();
        for (Path file : files) {
            String text = text(file);
            if (text == null) {
                continue; // not UTF-8 text
            }
            int line = 1;
            for (String l : text.split("\n", -1)) {
                if (OUTSIDE.matcher(l).find()) {
                    found.add(ROOT.relativize(file) + ":" + line + ": " + l.strip());
                }
                line++;
            }
        }
        assertThat(found).as("references to what a clone does not have").isEmpty();
    }

    @Test
    void theCheckFindsSuchAReference() {
        assertThat(OUTSIDE.matcher("--data ../" + "shared/data/sst2").find()).isTrue();
        assertThat(OUTSIDE.matcher("see " + "PLATFORM" + "-NOTES").find()).isTrue();
        assertThat(OUTSIDE.matcher("see docs/platform.md and load-tests/data").find()).isFalse();
    }

    /** What git tracks here; where git is missing (a source archive), every file outside build and state folders. */
    static List<Path> trackedFiles() throws IOException, InterruptedException {
        try {
            Process git = new ProcessBuilder("git", "ls-files", "-z").directory(ROOT.toFile()).redirectErrorStream(false).start();
            byte[] out = git.getInputStream().readAllBytes();
            if (git.waitFor() == 0) {
                List<Path> files = new ArrayList<>();
                for (String name : new String(out, StandardCharsets.UTF_8).split("\0")) {
                    Path file = ROOT.resolve(name);
                    if (!name.isEmpty() && Files.isRegularFile(file)) {
                        files.add(file);
                    }
                }
                return files;
            }
        } catch (IOException noGit) {
            // fall through to the walk
        }
        try (Stream<Path> walk = Files.walk(ROOT)) {
            return walk.filter(Files::isRegularFile).filter(p -> {
                String relative = ROOT.relativize(p).toString();
                return !relative.startsWith(".git/") && !relative.contains("target/") && !relative.startsWith(".lorastream/");
            }).toList();
        }
    }

    private static String text(Path file) throws IOException {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException binary) {
            return null;
        }
    }
}
