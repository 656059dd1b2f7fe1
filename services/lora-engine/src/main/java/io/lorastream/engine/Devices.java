package io.lorastream.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** CUDA when present, else CPU; chosen once and logged. */
public final class Devices {
    private static final Logger LOG = LoggerFactory.getLogger(Devices.class);

    private Devices() {}

    /**
     * @param choice {@code auto} (GPU if DJL sees one), {@code cpu} or {@code gpu} (fails without one)
     */
    public static Device choose(String choice) {
        Engine engine = Engine.getEngine("PyTorch");
        int gpus = engine.getGpuCount();
        Device device = switch (choice.toLowerCase(Locale.ROOT)) {
            case "auto" -> gpus > 0 ? Device.gpu() : Device.cpu();
            case "cpu" -> Device.cpu();
            case "gpu", "cuda" -> {
                if (gpus == 0) {
                    throw new IllegalArgumentException("device=gpu but PyTorch " + engine.getVersion()
                            + " sees no CUDA device (build with -Pcuda on a GPU host; see README)");
                }
                yield Device.gpu();
            }
            default -> throw new IllegalArgumentException("device=" + choice + " is not one of auto, cpu, gpu");
        };
        LOG.info("device {} (requested {}; PyTorch {}, {} GPU(s) visible, {} intra-op threads)", device, choice,
                engine.getVersion(), gpus, System.getProperty("ai.djl.pytorch.num_threads", "default"));
        return device;
    }
}
