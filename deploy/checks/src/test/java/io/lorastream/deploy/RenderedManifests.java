package io.lorastream.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.strimzi.api.kafka.model.user.KafkaUser;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * An overlay of deploy/k8s rendered by kustomize (kubectl's) and read into the Kubernetes and Strimzi
 * API models: a misspelt field, a field in the wrong place, a value of the wrong type or an unknown kind
 * is an error naming the document and the path.
 */
final class RenderedManifests {
    /** The kinds the manifests may use, each with the model class it must read into. */
    static final Map<String, Class<? extends HasMetadata>> KINDS = Map.ofEntries(
            Map.entry("v1/Namespace", Namespace.class),
            Map.entry("v1/ConfigMap", ConfigMap.class),
            Map.entry("v1/Secret", Secret.class),
            Map.entry("v1/Service", Service.class),
            Map.entry("v1/PersistentVolumeClaim", PersistentVolumeClaim.class),
            Map.entry("apps/v1/Deployment", Deployment.class),
            Map.entry("autoscaling/v2/HorizontalPodAutoscaler", HorizontalPodAutoscaler.class),
            Map.entry("batch/v1/Job", Job.class),
            Map.entry("kafka.strimzi.io/v1beta2/Kafka", Kafka.class),
            Map.entry("kafka.strimzi.io/v1beta2/KafkaNodePool", KafkaNodePool.class),
            Map.entry("kafka.strimzi.io/v1beta2/KafkaTopic", KafkaTopic.class),
            Map.entry("kafka.strimzi.io/v1beta2/KafkaUser", KafkaUser.class));

    private static final ObjectMapper MODELS = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(com.fasterxml.jackson.databind.MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .build();

    final String overlay;
    final List<HasMetadata> resources;

    private RenderedManifests(String overlay, List<HasMetadata> resources) {
        this.overlay = overlay;
        this.resources = resources;
    }

    static boolean kustomizeAvailable() {
        try {
            return new ProcessBuilder("kubectl", "version", "--client").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    static RenderedManifests render(Path root, String overlay) throws Exception {
        return render(root, overlay, Map.of());
    }

    /**
     * Renders a copy of deploy/k8s with these files added to the overlay (its git-ignored secrets: placeholders), so
     * that an overlay which needs them renders here as it does for an operator who put them there.
     */
    static RenderedManifests render(Path root, String overlay, Map<String, String> overlayFiles) throws Exception {
        if (overlayFiles.isEmpty()) {
            return kustomize(overlay, root.resolve("deploy/k8s/overlays").resolve(overlay));
        }
        Path copy = Files.createTempDirectory("deploy-k8s-");
        try {
            Path source = root.resolve("deploy/k8s");
            try (Stream<Path> paths = Files.walk(source)) {
                for (Path path : paths.toList()) {
                    Path target = copy.resolve(source.relativize(path).toString());
                    if (Files.isDirectory(path)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(path, target);
                    }
                }
            }
            Path dir = copy.resolve("overlays").resolve(overlay);
            for (Map.Entry<String, String> file : overlayFiles.entrySet()) {
                Files.createDirectories(dir.resolve(file.getKey()).getParent());
                Files.writeString(dir.resolve(file.getKey()), file.getValue());
            }
            return kustomize(overlay, dir);
        } finally {
            try (Stream<Path> paths = Files.walk(copy)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    private static RenderedManifests kustomize(String overlay, Path dir) throws Exception {
        Path out = Files.createTempFile("kustomize-" + overlay, ".yaml");
        Path err = Files.createTempFile("kustomize-" + overlay, ".err");
        try {
            Process kustomize = new ProcessBuilder("kubectl", "kustomize", dir.toString())
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!kustomize.waitFor(60, TimeUnit.SECONDS)) {
                kustomize.destroyForcibly();
                throw new AssertionError("kubectl kustomize " + dir + " did not finish in 60 s");
            }
            if (kustomize.exitValue() != 0) {
                throw new AssertionError("kubectl kustomize " + dir + " failed: " + Files.readString(err));
            }
            return read(overlay, Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    static RenderedManifests read(String overlay, String yaml) throws IOException {
        List<HasMetadata> resources = new ArrayList<>();
        YAMLMapper yamlMapper = new YAMLMapper(new YAMLFactory());
        try (var documents = yamlMapper.readerFor(JsonNode.class).<JsonNode>readValues(yaml)) {
            while (documents.hasNext()) {
                JsonNode document = documents.next();
                if (document == null || document.isNull() || document.isEmpty()) {
                    continue;
                }
                resources.add(toModel(document));
            }
        }
        return new RenderedManifests(overlay, resources);
    }

    private static HasMetadata toModel(JsonNode document) {
        String type = document.path("apiVersion").asText() + "/" + document.path("kind").asText();
        String name = type + " " + document.path("metadata").path("name").asText("(no name)");
        Class<? extends HasMetadata> model = KINDS.get(type);
        if (model == null) {
            throw new AssertionError(name + ": not a kind these manifests may use " + KINDS.keySet());
        }
        HasMetadata resource;
        try {
            resource = MODELS.treeToValue(document, model);
        } catch (IOException e) {
            throw new AssertionError(name + ": does not read as " + model.getSimpleName() + ": " + e.getMessage(), e);
        }
        List<String> unknown = new ArrayList<>();
        collectUnknownFields(resource, "", unknown);
        if (!unknown.isEmpty()) {
            throw new AssertionError(name + ": fields the API does not have: " + unknown);
        }
        return resource;
    }

    /**
     * The models keep fields they do not know in additionalProperties instead of failing (that is how
     * they survive newer API servers); here any such field is an error.
     */
    static void collectUnknownFields(Object node, String path, List<String> unknown) {
        if (node == null) {
            return;
        }
        if (node instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                collectUnknownFields(list.get(i), path + "[" + i + "]", unknown);
            }
            return;
        }
        if (node instanceof Map<?, ?> map) {
            map.forEach((key, value) -> collectUnknownFields(value, path + "." + key, unknown));
            return;
        }
        String pkg = node.getClass().getPackageName();
        if (!pkg.startsWith("io.fabric8.kubernetes.api.model") && !pkg.startsWith("io.strimzi.api")) {
            return;
        }
        for (Method getter : node.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
                    || !getter.getName().startsWith("get") || getter.getDeclaringClass() == Object.class) {
                continue;
            }
            Object value;
            try {
                value = getter.invoke(node);
            } catch (ReflectiveOperationException | RuntimeException e) {
                continue; // a computed getter that needs more than the document gave
            }
            String field = path + "." + decapitalize(getter.getName().substring(3));
            if (getter.getName().equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    extra.keySet().forEach(key -> unknown.add(path + "." + key));
                }
            } else {
                collectUnknownFields(value, field, unknown);
            }
        }
    }

    private static String decapitalize(String name) {
        return name.isEmpty() ? name : Character.toLowerCase(name.charAt(0)) + name.substring(1);
    }

    <T extends HasMetadata> Stream<T> all(Class<T> kind) {
        return resources.stream().filter(kind::isInstance).map(kind::cast);
    }

    <T extends HasMetadata> T one(Class<T> kind, String name) {
        return find(kind, name).orElseThrow(() -> new AssertionError(
                overlay + ": no " + kind.getSimpleName() + " named " + name));
    }

    <T extends HasMetadata> Optional<T> find(Class<T> kind, String name) {
        return all(kind).filter(r -> r.getMetadata().getName().equals(name)).findFirst();
    }
}
