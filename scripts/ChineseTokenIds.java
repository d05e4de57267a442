import bertft.data.TableReader;
import bertft.data.TaggedData;
import bertft.text.BertTokenizer;
import bertft.text.WordWindows;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes the token ids bert-ft feeds the model for every text of the given files, one line per text:
 * {@code file<TAB>line<TAB>id id id...}, read as bert-ft's commands read them (a table's {@code text} column
 * through TableReader; a CoNLL file's sentences as pre-split words, as {@code tag} encodes them), untruncated, with
 * [CLS] and [SEP]. Usage: java -cp 'target/bert-ft.jar:target/lib/*' scripts/ChineseTokenIds.java MODEL_DIR OUT FILE...
 * (scripts/check-chinese-tokenizer.py compares the output with HuggingFace's slow BertTokenizer).
 */
public class ChineseTokenIds {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        try (BertTokenizer tok = BertTokenizer.load(dir, 1_000_000);
                BufferedWriter out = Files.newBufferedWriter(Path.of(args[1]), StandardCharsets.UTF_8)) {
            for (int f = 2; f < args.length; f++) {
                Path file = Path.of(args[f]);
                String name = file.getFileName().toString();
                if (name.endsWith(".conll")) {
                    for (TaggedData.Sentence s : TaggedData.read(file, null).sentences()) {
                        WordWindows w = tok.words(s.words(), 1_000_000, 0);
                        write(out, name, s.line(), w.windows().get(0).ids());
                    }
                } else {
                    try (TableReader t = TableReader.open(file, TableReader.FAIL)) {
                        for (TableReader.Row r : t) {
                            write(out, name, r.line(), tok.encode(r.get("text")).getIds());
                        }
                    }
                }
            }
        }
    }

    private static void write(BufferedWriter out, String file, long line, long[] ids) throws Exception {
        StringBuilder sb = new StringBuilder(file).append('\t').append(line).append('\t');
        for (int i = 0; i < ids.length; i++) {
            sb.append(i == 0 ? "" : " ").append(ids[i]);
        }
        out.write(sb.append('\n').toString());
    }
}
