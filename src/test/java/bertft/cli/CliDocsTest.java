package bertft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/cli.md is what the command tree says now, and the completion scripts know every command. */
class CliDocsTest {
    @Test
    void docsCliMdIsCurrent() throws Exception {
        String now = CliDocs.markdown();
        String file = Files.readString(Path.of("docs", "cli.md"));
        assertEquals(now, file, "docs/cli.md is stale: regenerate it with mvn -q -DskipTests package && java -cp"
                + " 'target/bert-ft.jar:target/lib/*' bertft.cli.CliDocs > docs/cli.md");
        for (String command : BertFt.commandLine().getSubcommands().keySet()) {
            assertTrue(command.equals("help") || now.contains("\n## bert-ft " + command + "\n"), command);
        }
        assertTrue(now.contains("| `--repo` | `ORG/NAME` |"), "options with their value");
        assertTrue(now.contains("| `--revision` | `BRANCH` | `main` |"), "and their default");
    }

    @Test
    void completionForBashAndZsh() {
        CliTest.Run bash = CliTest.run("completion", "bash");
        assertEquals(0, bash.code(), bash.err());
        assertTrue(bash.out().contains("complete -F _complete_bert-ft") || bash.out().contains("_complete_bert-ft"),
                bash.out().lines().limit(5).toList().toString());
        for (String word : new String[] {"push", "train", "completion", "--create-pr", "--learning-rate"}) {
            assertTrue(bash.out().contains(word), word);
        }
        CliTest.Run zsh = CliTest.run("completion", "zsh");
        assertEquals(0, zsh.code(), zsh.err());
        assertTrue(zsh.out().startsWith("autoload -U +X compinit && compinit\nautoload -U +X bashcompinit &&"
                + " bashcompinit\n"), zsh.out());
        CliTest.Run fish = CliTest.run("completion", "fish");
        assertEquals(2, fish.code());
        assertTrue(fish.err().contains("fish"), fish.err());
    }
}
