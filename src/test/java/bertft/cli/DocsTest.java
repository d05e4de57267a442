package bertft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * README.md and docs/ stay true to the program: every relative link lands on a file and heading that exist, and every
 * {@code bert-ft} command in a code block names a command and options the CLI has (task keys included), parses with
 * the values it gives (unless it is a synopsis with placeholders), and the {@code tasks/} and {@code scripts/} files
 * it names exist. {@link ReadmeTourTest} runs the README's tour.
 */
class DocsTest {
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)#\\s]*)(#[^)\\s]*)?\\)");

    @Test
    void linksResolveToFilesAndHeadings() throws IOException {
        List<String> broken = new ArrayList<>();
        for (Path page : pages()) {
            Matcher m = LINK.matcher(Files.readString(page));
            while (m.find()) {
                String file = m.group(1);
                String anchor = m.group(2);
                if (file.startsWith("http://") || file.startsWith("https://") || file.startsWith("mailto:")) {
                    continue;
                }
                Path target = file.isEmpty() ? page : page.getParent().resolve(file).normalize();
                if (!Files.exists(target)) {
                    broken.add(page + ": no file " + file);
                } else if (anchor != null && target.toString().endsWith(".md")
                        && !anchors(target).contains(anchor.substring(1))) {
                    broken.add(page + ": no heading " + anchor + " in " + target);
                }
            }
        }
        assertEquals(List.of(), broken);
    }

    @Test
    void commandsInCodeBlocksExist() throws IOException {
        CommandLine root = BertFt.commandLine();
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        for (Path page : pages()) {
            for (String line : commandLines(page)) {
                List<String> problems = problems(root, line);
                problems.forEach(p -> wrong.add(page.getFileName() + ": " + p));
                checked += words(line).indexOf("bert-ft") == 0 ? 1 : 0;
            }
        }
        assertEquals(List.of(), wrong);
        assertTrue(checked > 20, "found " + checked + " bert-ft commands in the docs' code blocks");
    }

    @Test
    void aCommandOrOptionTheCliLacksIsFound() {
        CommandLine root = BertFt.commandLine();
        assertEquals(List.of(), problems(root, "scripts/bert-ft --threads 2 train tasks/sst2.yaml --learning-rate 5e-5 --epochs=2"));
        assertEquals(1, problems(root, "bert-ft train tasks/sst2.yaml --learning-rat 5e-5").size());
        assertEquals(1, problems(root, "bert-ft trian tasks/sst2.yaml").size());
        assertEquals(1, problems(root, "bert-ft train tasks/no-such-task.yaml").size());
        assertEquals(List.of(), problems(root, "bert-ft classify x.csv | head # --not-an-option"));
        assertEquals(List.of(), problems(root, "runs/x: logits; bert-ft [-0.49, 1.2] PEFT [-0.49, 1.2]"), "output");
        assertEquals(1, problems(root, "BERT_FT_THREADS=1 bert-ft train tasks/sst2.yaml --epoch 2").size());
        assertEquals(1, problems(root, "bert-ft classify --model runs/x --batch-size 0 --text hi").size(), "a value");
        assertEquals(1, problems(root, "bert-ft --threads two train tasks/sst2.yaml").size(), "a global value");
        assertEquals(1, problems(root, "bert-ft classify --model runs/x --runtime fast --text hi").size(), "runtime");
        assertEquals(List.of(), problems(root, "bert-ft push RUN --repo ORG/NAME [--private]"), "a synopsis");
    }

    /** What is wrong with one shell line: a missing command, option, task file or script. */
    static List<String> problems(CommandLine root, String line) {
        List<String> wrong = new ArrayList<>();
        List<String> words = words(line);
        for (String w : words) {
            if (((w.startsWith("tasks/") && w.endsWith(".yaml")) || w.startsWith("scripts/")) && !Files.exists(Path.of(w))) {
                wrong.add(w + " does not exist (" + line + ")");
            }
        }
        int at = words.indexOf("bert-ft");
        if (at < 0 || !words.subList(0, at).stream().allMatch(w -> w.contains("=") || w.equals("time"))) {
            return wrong; // not a bert-ft command (its output, or another program's line that names it)
        }
        CommandLine command = root;
        List<String> args = new ArrayList<>();
        for (String w : words.subList(at + 1, words.size())) {
            if (Set.of("&&", "|", ";", "&", ">", "2>", "||").contains(w) || w.startsWith("#")) {
                break;
            }
            args.add(w);
            if (w.startsWith("--")) {
                String name = w.contains("=") ? w.substring(0, w.indexOf('=')) : w;
                if (command.getCommandSpec().findOption(name) == null && root.getCommandSpec().findOption(name) == null) {
                    wrong.add(command.getCommandName() + " has no option " + name + " (" + line + ")");
                }
            } else if (command == root && !w.startsWith("-")) {
                CommandLine sub = root.getSubcommands().get(w);
                if (sub != null) {
                    command = sub;
                } else if (!isGlobalValue(words, w)) {
                    wrong.add("no command '" + w + "' (" + line + ")");
                    break;
                }
            }
        }
        if (wrong.isEmpty() && args.stream().noneMatch(DocsTest::placeholder)) {
            try {
                BertFt.commandLine().parseArgs(args.toArray(String[]::new)); // values converted and checked as typed
            } catch (CommandLine.ParameterException e) {
                wrong.add("does not parse: " + e.getMessage() + " (" + line + ")");
            }
        }
        return wrong;
    }

    /** A synopsis word or shell variable, not a value: {@code RUN}, {@code TASK.yaml}, {@code [--private]}, {@code $rt}. */
    private static boolean placeholder(String w) {
        return w.startsWith("[") || w.endsWith("]") || w.contains("...") || w.contains("|") || w.contains("$")
                || w.matches("[A-Z][A-Z0-9_/]*(\\.yaml)?");
    }

    /** A value of a global option given before the command ({@code bert-ft --threads 2 train ...}). */
    private static boolean isGlobalValue(List<String> words, String w) {
        int i = words.indexOf(w);
        return i > 0 && words.get(i - 1).startsWith("--");
    }

    private static List<Path> pages() throws IOException {
        List<Path> pages = new ArrayList<>(List.of(Path.of("README.md").toAbsolutePath()));
        try (Stream<Path> docs = Files.list(Path.of("docs").toAbsolutePath())) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
        }
        return pages;
    }

    /** GitHub's anchors of a page's headings (outside code blocks). */
    static Set<String> anchors(Path page) throws IOException {
        Set<String> anchors = new HashSet<>();
        boolean code = false;
        for (String line : Files.readAllLines(page)) {
            if (line.startsWith("```")) {
                code = !code;
            } else if (!code && line.matches("^#+ .*")) {
                String h = line.replaceFirst("^#+ ", "").strip().toLowerCase(Locale.ROOT);
                anchors.add(h.replaceAll("[^\\p{L}\\p{N}_\\- ]", "").replace(' ', '-'));
            }
        }
        return anchors;
    }

    /** Shell lines of a page's code blocks that are not Java, continuation lines joined. */
    private static List<String> commandLines(Path page) throws IOException {
        List<String> lines = new ArrayList<>();
        boolean code = false;
        boolean shell = false;
        StringBuilder joined = new StringBuilder();
        for (String line : Files.readAllLines(page)) {
            if (line.startsWith("```")) {
                code = !code;
                String lang = line.substring(3).strip();
                shell = code && (lang.isEmpty() || lang.equals("bash") || lang.equals("sh") || lang.equals("shell"));
                continue;
            }
            if (!code || !shell) {
                continue;
            }
            String l = line.strip();
            if (l.endsWith("\\")) {
                joined.append(l, 0, l.length() - 1).append(' ');
                continue;
            }
            joined.append(l);
            lines.add(joined.toString().replaceFirst("^\\$ ", ""));
            joined.setLength(0);
        }
        return lines;
    }

    /** A shell line's words, quotes removed; {@code scripts/bert-ft} and {@code target/...} spelled as bert-ft. */
    static List<String> words(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        char quote = 0;
        boolean any = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    w.append(c);
                }
            } else if (c == '"' || c == '\'') {
                quote = c;
                any = true;
            } else if (Character.isWhitespace(c)) {
                if (w.length() > 0 || any) {
                    words.add(w.toString());
                }
                w.setLength(0);
                any = false;
            } else {
                w.append(c);
            }
        }
        if (w.length() > 0 || any) {
            words.add(w.toString());
        }
        words.replaceAll(x -> x.equals("scripts/bert-ft") ? "bert-ft" : x);
        return words;
    }
}
