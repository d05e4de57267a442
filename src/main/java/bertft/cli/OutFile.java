package bertft.cli;

import bertft.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** {@code --out FILE} of a command that reads one input file and writes one output file (classify, tag). */
final class OutFile {
    private OutFile() {}

    /**
     * {@code out} must name a file: not empty, not a directory, and not the input (the same file by any spelling,
     * link included), which the output would replace; {@code example} is a file name the message suggests.
     */
    static void check(Path out, Path input, String example) {
        if (out.toString().isEmpty()) {
            throw new UserError("--out: empty value; give a file name such as " + example);
        }
        if (Files.isDirectory(out)) {
            throw new UserError("--out " + out + ": is a directory; give a file name such as " + out.resolve(example));
        }
        try {
            if (input != null && !input.toString().equals("-") && Files.exists(out) && Files.exists(input)
                    && Files.isSameFile(input, out)) {
                throw new UserError("--out " + out + ": is the input file " + input
                        + "; write the output to another file");
            }
        } catch (IOException e) {
            throw new UserError("--out " + out + ": cannot check against the input file: " + e.getMessage());
        }
    }
}
