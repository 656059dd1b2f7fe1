package io.lorastream.engine;

/** How an adapter does on a labelled set. */
public record Metrics(double accuracy, double macroF1, double loss, int examples) {

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "accuracy=%.4f macro_f1=%.4f loss=%.4f examples=%d", accuracy, macroF1, loss, examples);
    }
}
