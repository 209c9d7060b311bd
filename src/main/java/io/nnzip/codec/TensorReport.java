package io.nnzip.codec;

/** What coding one tensor produced: method, element count, coded bytes (or "skipped" for an unchanged tensor). */
public record TensorReport(String name, String method, long elements, long bytes) {}
