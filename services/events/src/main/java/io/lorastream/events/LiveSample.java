package io.lorastream.events;

import com.fasterxml.jackson.annotation.JsonInclude;

/** Labelled live predictions of one adapter version. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LiveSample(int version, long predictions, long correct, Double accuracy) {}
