package io.lorastream.engine;

/** Training progress, for a progress bar, logs or metrics. Every method has a no-op default. */
public interface TrainingListener {
    TrainingListener NONE = new TrainingListener() {};

    default void epochStarted(int epoch, int epochs, int examples) {}

    default void stepDone(int examplesInStep, long tokensInStep, double loss, double learningRate) {}

    default void epochDone(int epoch, double trainLoss, Metrics eval) {}
}
