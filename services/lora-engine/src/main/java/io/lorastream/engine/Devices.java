package io.lorastream.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
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
                engine.getVersion(), gpus, JniUtils.getNumThreads());
        return device;
    }

    /**
     * How many threads one libtorch operation may use on the CPU, for the whole process (PyTorch's
     * {@code torch.set_num_threads}); takes effect from the next operation.
     */
    public static void useIntraOpThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("intra-op threads=" + threads + ": must be at least 1");
        }
        Engine.getEngine("PyTorch"); // loads libtorch
        JniUtils.setNumThreads(threads);
        LOG.info("intra-op threads set to {}", JniUtils.getNumThreads());
    }

    /** libtorch's intra-op threads now. */
    public static int intraOpThreads() {
        Engine.getEngine("PyTorch");
        return JniUtils.getNumThreads();
    }
}
