package dev.tandem.hub;

import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * The hub's configuration file ({@code --config FILE}, e.g. {@code /etc/tandem/hub.conf}): one
 * serve option a line, {@code name = value}, the option's long name without {@code --}; blank
 * lines and {@code #} comments ignored. Precedence: command line, then the option's environment
 * variable, then this file, then the built-in default.
 *
 * <p>Picocli asks a default-value provider before an option's annotated default, which is where
 * the environment is read ({@code ${env:TANDEM_PORT:-7070}}); so this provider steps aside for
 * an option whose variable is set, and the command line overrides both as usual.
 */
final class ConfigFile implements CommandLine.IDefaultValueProvider {
    /** A hub.conf is a few hundred bytes; anything near this is not one. */
    static final int MAX_BYTES = 64 * 1024;
    private static final Pattern KEY = Pattern.compile("[a-z][a-z0-9-]*");

    private final Map<String, String> values;
    private final Set<OptionSpec> applies;
    private final UnaryOperator<String> env;

    private ConfigFile(Map<String, String> values, Set<OptionSpec> applies, UnaryOperator<String> env) {
        this.values = values;
        this.applies = applies;
        this.env = env;
    }

    /**
     * Reads {@code file}, which may set {@code options} (the serve options; other commands' options
     * of the same name are left alone). Throws {@link IllegalArgumentException} naming the file and
     * line for anything else.
     */
    static ConfigFile read(Path file, List<OptionSpec> options, UnaryOperator<String> env) throws IOException {
        Set<String> known = new TreeSet<>();
        Set<OptionSpec> applies = Collections.newSetFromMap(new IdentityHashMap<>());
        for (OptionSpec o : options) {
            known.add(o.longestName().substring(2));
            applies.add(o);
        }
        long size = Files.size(file);
        if (size > MAX_BYTES) throw new IllegalArgumentException(file + ": " + size + " bytes, a configuration file is at most " + MAX_BYTES);
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(file + ": not UTF-8 text");
        }
        Map<String, String> values = new LinkedHashMap<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            String where = file + " line " + (i + 1) + ": ";
            int eq = line.indexOf('=');
            if (eq < 0) throw new IllegalArgumentException(where + "expected 'option = value'");
            String key = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            if (!KEY.matcher(key).matches() || !known.contains(key)) {
                throw new IllegalArgumentException(where + "unknown option '" + printable(key) + "' (known: " + String.join(", ", known) + ")");
            }
            if (values.containsKey(key)) throw new IllegalArgumentException(where + "'" + key + "' is set twice");
            if (value.isEmpty()) throw new IllegalArgumentException(where + "'" + key + "' has no value");
            values.put(key, value);
        }
        return new ConfigFile(values, applies, env);
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec option) || !applies.contains(option)) return null;
        String value = values.get(option.longestName().substring(2));
        if (value == null) return null;
        if (env.apply(envVariable(option)) != null) return null; // the environment wins

        // Picocli would expand ${...} in what a provider returns; a value is taken as written.
        return value.replace("${", "$${");
    }

    /**
     * The environment variable of a serve option: {@code --max-rooms} reads {@code TANDEM_MAX_ROOMS}
     * (its annotated default is {@code ${env:TANDEM_MAX_ROOMS:-1000}}; ConfigFileTest checks that
     * every serve option keeps to this).
     */
    static String envVariable(OptionSpec option) {
        return "TANDEM_" + option.longestName().substring(2).toUpperCase(java.util.Locale.ROOT).replace('-', '_');
    }

    /** Keeps a hostile key from writing control characters into an error message (and a log). */
    private static String printable(String s) {
        String cut = s.length() > 40 ? s.substring(0, 40) + "..." : s;
        return cut.codePoints().map(c -> Character.isISOControl(c) ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
    }
}
