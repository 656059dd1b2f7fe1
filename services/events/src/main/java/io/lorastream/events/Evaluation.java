package io.lorastream.events;

import com.fasterxml.jackson.annotation.JsonInclude;

/** Metrics of one adapter on one evaluation set. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Evaluation(double accuracy, Double macroF1, Double loss, int examples) {}
