package bertft.tune;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Earlier tunes that chose on the same validation set: each search spends it a little more, so the report counts
 * them. Found beside the tune's {@code --out} (finished tunes whose {@code tune.json} names the same validation
 * set) and through the task file, when it is an earlier tune's output (its {@code best.yaml}), with the tunes that
 * one counted.
 */
final class Searches {
    private Searches() {}

    /** {@code searches} of tune.json: the validation set's id, the earlier tunes and their trials, this one's number. */
    static JsonObject count(Path out, Path task, String validationSet) {
        Path self = out.toAbsolutePath().normalize();
        Map<String, Integer> earlier = new TreeMap<>();
        Path parent = self.getParent();
        if (parent != null && Files.isDirectory(parent)) {
            try (var dirs = Files.list(parent)) {
                for (Path d : dirs.filter(Files::isDirectory).map(p -> p.toAbsolutePath().normalize()).toList()) {
                    JsonObject t = tune(d);
                    if (!d.equals(self) && t != null && t.has("searches") && validationSet.equals(
                            t.getAsJsonObject("searches").get("validation_set").getAsString())) {
                        earlier.put(d.toString(), t.getAsJsonArray("trials").size());
                    }
                }
            } catch (IOException e) {
                // an unlistable parent: only the task file's tune is counted
            }
        }
        Path from = task.toAbsolutePath().normalize().getParent();
        JsonObject t = from == null || from.equals(self) ? null : tune(from);
        if (t != null) {
            earlier.put(from.toString(), t.getAsJsonArray("trials").size());
            if (t.has("searches")) {
                for (JsonElement e : t.getAsJsonObject("searches").getAsJsonArray("earlier")) {
                    JsonObject x = e.getAsJsonObject();
                    earlier.putIfAbsent(x.get("dir").getAsString(), x.get("trials").getAsInt());
                }
            }
        }
        JsonObject s = new JsonObject();
        s.addProperty("validation_set", validationSet);
        s.addProperty("search", earlier.size() + 1);
        JsonArray list = new JsonArray();
        earlier.forEach((dir, trials) -> {
            JsonObject x = new JsonObject();
            x.addProperty("dir", dir);
            x.addProperty("trials", trials);
            list.add(x);
        });
        s.add("earlier", list);
        s.addProperty("earlier_trials", earlier.values().stream().mapToInt(Integer::intValue).sum());
        return s;
    }

    /** The sentence of the reports. */
    static String text(JsonObject summary) {
        if (!summary.has("searches")) {
            return "";
        }
        JsonObject s = summary.getAsJsonObject("searches");
        int n = s.get("search").getAsInt();
        int trials = summary.getAsJsonArray("trials").size();
        if (n == 1) {
            return "The first search found on this validation set (no earlier tune beside this one, or that this task"
                    + " file came from, chose on it).";
        }
        List<String> names = new java.util.ArrayList<>();
        for (JsonElement e : s.getAsJsonArray("earlier")) {
            names.add(e.getAsJsonObject().get("dir").getAsString() + " (" + e.getAsJsonObject().get("trials")
                    .getAsInt() + " trials)");
        }
        return String.format(java.util.Locale.ROOT, "Search %d on this validation set: %s chose on it before, %d"
                + " trials in all with this one's %d. Every search spends the validation set a little more: the more"
                + " searches, the more its figures flatter the winner; the check set does not.", n,
                String.join(", ", names), s.get("earlier_trials").getAsInt() + trials, trials);
    }

    private static JsonObject tune(Path dir) {
        Path f = dir.resolve("tune.json");
        if (!Files.isRegularFile(f)) {
            return null;
        }
        try {
            return JsonParser.parseString(Files.readString(f, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (IOException | RuntimeException e) {
            return null; // not a tune this one can read: not counted
        }
    }
}
