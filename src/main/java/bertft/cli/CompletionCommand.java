package bertft.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bert-ft completion bash|zsh}: picocli's completion script for every command and option. */
@Command(name = "completion", mixinStandardHelpOptions = true,
        description = {"Print a shell completion script for bert-ft's commands and options.",
                "bash: source <(bert-ft completion bash)   (or save it in ~/.local/share/bash-completion/completions/"
                        + "bert-ft)",
                "zsh:  source <(bert-ft completion zsh)   (zsh runs the bash script through bashcompinit)"})
final class CompletionCommand implements Callable<Integer> {
    enum Shell { bash, zsh }

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SHELL", description = "bash or zsh.")
    Shell shell;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        String script = AutoComplete.bash("bert-ft", spec.root().commandLine());
        if (shell == Shell.zsh) {
            // picocli's script is bash; zsh reads it through its bash-completion layer
            out.println("autoload -U +X compinit && compinit");
            out.println("autoload -U +X bashcompinit && bashcompinit");
        }
        out.print(script);
        out.flush();
        return 0;
    }
}
