package io.nnzip.engine;

/** An op of the closed set the engine implements: its kernel and its shape rule, side by side. */
public record OpDef(String type, Kernel kernel, ShapeRule shape) {}
