/** This package's version: the instrumentation scope version of its tracer and meter (a test checks it against package.json). */
export const VERSION = "0.1.0";

/** The instrumentation scope name of the tracer and meter. */
export const SCOPE = "runcue-otel";
