package io.lorastream.engine.cli;

import io.lorastream.engine.Metrics;
import io.lorastream.engine.TrainingListener;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** A terminal progress bar per epoch: examples done, examples/s, running loss, ETA. */
final class TrainingProgress implements TrainingListener, AutoCloseable {
    private ProgressBar bar;
    private double runningLoss = Double.NaN;

    @Override
    public void epochStarted(int epoch, int epochs, int examples) {
        close();
        bar = new ProgressBarBuilder()
                .setTaskName("epoch " + epoch + "/" + epochs)
                .setInitialMax(examples)
                .setStyle(ProgressBarStyle.ASCII)
                .setUnit(" ex", 1)
                .showSpeed()
                .setUpdateIntervalMillis(500)
                .build();
    }

    @Override
    public void stepDone(int examplesInStep, long tokensInStep, double loss, double learningRate) {
        runningLoss = Double.isNaN(runningLoss) ? loss : 0.98 * runningLoss + 0.02 * loss;
        bar.stepBy(examplesInStep);
        bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f lr %.2e", runningLoss, learningRate));
    }

    @Override
    public void epochDone(int epoch, double trainLoss, Metrics eval) {
        close();
        System.out.printf(Locale.ROOT, "epoch %d: train loss %.4f%s%n", epoch, trainLoss, eval == null ? "" : "; eval " + eval);
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
