package bertft.tune;

import bertft.UserError;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * A task file with some keys set or removed, every other entry as the user wrote it (comments aside): the
 * search's task without its test split, and {@code best.yaml}.
 */
final class TaskYaml {
    private TaskYaml() {}

    /**
     * The text of {@code task} with {@code set} (key -> value text, as on the command line) and without
     * {@code drop}; values are written as YAML reads them back, e.g. {@code learning-rate: 3.2e-05}.
     */
    static String edit(Path task, Map<String, String> set, Set<String> drop) {
        String text;
        try {
            text = Files.readString(task, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UserError(task + ": cannot read: " + e.getMessage());
        }
        Yaml yaml = new Yaml();
        Node root = yaml.compose(new StringReader(text));
        if (!(root instanceof MappingNode m)) {
            throw new UserError(task + ": not a task file ('key: value' entries)"); // TaskFiles.load said so first
        }
        List<NodeTuple> tuples = new ArrayList<>();
        Map<String, String> rest = new LinkedHashMap<>(set);
        for (NodeTuple t : m.getValue()) {
            String key = ((ScalarNode) t.getKeyNode()).getValue();
            if (rest.containsKey(key)) { // in place, where the user had it
                tuples.add(new NodeTuple(t.getKeyNode(), value(yaml, rest.remove(key))));
            } else if (!drop.contains(key)) {
                tuples.add(t);
            }
        }
        rest.forEach((key, value) -> tuples.add(new NodeTuple(
                new ScalarNode(Tag.STR, key, null, null, DumperOptions.ScalarStyle.PLAIN), value(yaml, value))));
        m.setValue(tuples);
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        options.setWidth(Integer.MAX_VALUE);
        StringWriter out = new StringWriter();
        new Yaml(options).serialize(root, out);
        return out.toString();
    }

    /** The node YAML reads from {@code text}: a number, a word, a [list] or a {map}. */
    private static Node value(Yaml yaml, String text) {
        Node n = yaml.compose(new StringReader(text));
        return n != null ? n : new ScalarNode(Tag.STR, "", null, null, DumperOptions.ScalarStyle.DOUBLE_QUOTED);
    }
}
