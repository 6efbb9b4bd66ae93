package dev.tandem.hub;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import dev.tandem.protocol.ErrorCode;

import java.lang.management.ManagementFactory;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The hub's Prometheus metrics (served at {@code GET /metrics}); names are listed in docs/hub.md.
 * Thread-safe: counters are lock-free adders.
 */
final class HubMetrics implements AutoCloseable {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter updatesIn;
    private final Counter updatesStored;
    private final Counter deliveries;
    private final Counter bytesIn;
    private final Counter bytesOut;
    private final Counter slowConsumers;
    private final Counter busUpdates;
    private final Counter catchUps;
    private final Counter writes;
    private final Counter framesOut;
    private final Map<ErrorCode, Counter> errors = new EnumMap<>(ErrorCode.class);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    /** Summed over the loaded rooms; each room adds the change of its own counts. */
    private final AtomicLong heldRuns = new AtomicLong();
    private final AtomicLong heldChars = new AtomicLong();

    HubMetrics(Supplier<Number> rooms, Supplier<Number> connections) {
        Gauge.builder("tandem.rooms.loaded", rooms).description("rooms loaded in memory").register(registry);
        Gauge.builder("tandem.connections", connections).description("open WebSocket connections").register(registry);
        Gauge.builder("tandem.held.runs", heldRuns, AtomicLong::get)
                .description("runs of operations the loaded rooms hold because their causes have not arrived").register(registry);
        Gauge.builder("tandem.held.chars", heldChars, AtomicLong::get)
                .description("characters in the runs the loaded rooms hold").register(registry);
        updatesIn = Counter.builder("tandem.updates.received").description("update pushes received").register(registry);
        updatesStored = Counter.builder("tandem.updates.stored").description("updates that carried something new and were stored").register(registry);
        deliveries = Counter.builder("tandem.updates.delivered").description("relay frames queued to peers").register(registry);
        bytesIn = Counter.builder("tandem.bytes.received").description("WebSocket message bytes received").register(registry);
        bytesOut = Counter.builder("tandem.bytes.sent").description("WebSocket message bytes sent").register(registry);
        writes = Counter.builder("tandem.writes").description("gathered writes: each hands one or more queued messages to the socket in one flush").register(registry);
        framesOut = Counter.builder("tandem.messages.sent").description("messages (frames) written, acks merged into a later ack of the same write included").register(registry);
        busUpdates = Counter.builder("tandem.bus.updates.applied").description("entries other hubs stored, applied from the bus").register(registry);
        catchUps = Counter.builder("tandem.bus.catchups").description("reads from the store of entries the bus did not bring (a gap, the periodic check, a joiner who knew more)").register(registry);
        slowConsumers = Counter.builder("tandem.slow.consumers").description("connections cut off because their outbound queue overflowed").register(registry);
        for (ErrorCode c : ErrorCode.values()) {
            errors.put(c, Counter.builder("tandem.errors").tag("code", c.wire()).description("errors sent to clients").register(registry));
        }
        // process_cpu_seconds_total, the standard Prometheus name; the load command reads it.
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            FunctionCounter.builder("process.cpu.seconds", sun, b -> b.getProcessCpuTime() / 1e9)
                    .description("CPU time used by the hub process").register(registry);
        }
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        gc.bindTo(registry);
    }

    void updateReceived(int bytes) {
        updatesIn.increment();
        bytesIn.increment(bytes);
    }

    void textReceived(int chars) {
        bytesIn.increment(chars);
    }

    void updateStored() {
        updatesStored.increment();
    }

    /** A room's held runs and characters grew (or shrank, negative) by these. */
    void held(long runs, long chars) {
        heldRuns.addAndGet(runs);
        heldChars.addAndGet(chars);
    }

    void delivered(int count) {
        deliveries.increment(count);
    }

    void bytesOut(long bytes) {
        bytesOut.increment(bytes);
    }

    /** One gathered write of {@code messages} queued messages. */
    void write(int messages) {
        writes.increment();
        framesOut.increment(messages);
    }

    void busUpdate() {
        busUpdates.increment();
    }

    void catchUp() {
        catchUps.increment();
    }

    void slowConsumer() {
        slowConsumers.increment();
    }

    void error(ErrorCode code) {
        errors.get(code).increment();
    }

    String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
