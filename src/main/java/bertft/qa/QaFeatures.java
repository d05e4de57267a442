package bertft.qa;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import bertft.data.Features;
import bertft.data.SquadData;
import bertft.text.BertTokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * Questions cut into model windows: [CLS] question [SEP] part of the context [SEP], overlapping by the doc
 * stride, with each context token's character span in the original context (UTF-16 indices) and the answer's
 * token positions as training targets ([CLS], position 0, when the window does not hold the whole answer).
 */
public final class QaFeatures {
    private QaFeatures() {}

    /** One window of one question. {@code charStart[i]} is -1 for tokens outside the context. */
    public record Window(int question, Encoding encoding, int[] charStart, int[] charEnd, int startTarget,
            int endTarget) {}

    /** Builds the windows of every question, in question order. */
    public static List<Window> build(List<SquadData.Question> questions, BertTokenizer tok, int maxLength, int stride,
            int maxQueryLength) {
        List<Window> out = new ArrayList<>();
        for (int qi = 0; qi < questions.size(); qi++) {
            SquadData.Question q = questions.get(qi);
            String question = capQuestion(q.question(), tok, maxQueryLength);
            int[] utf16 = utf16Index(q.context());
            for (Encoding e : tok.windows(question, q.context(), maxLength, stride)) {
                out.add(window(qi, q, e, utf16));
            }
        }
        return out;
    }

    /** The first {@code maxQueryLength} tokens' worth of a question (HuggingFace's max_query_length). */
    static String capQuestion(String question, BertTokenizer tok, int maxQueryLength) {
        Encoding e = tok.encode(question);
        int n = e.getIds().length - 2; // without [CLS] and [SEP]
        if (n <= maxQueryLength) {
            return question;
        }
        CharSpan last = e.getCharTokenSpans()[maxQueryLength];
        return question.substring(0, utf16Index(question)[last.getEnd()]);
    }

    private static Window window(int qi, SquadData.Question q, Encoding e, int[] utf16) {
        long[] seq = e.getSequenceIds();
        CharSpan[] spans = e.getCharTokenSpans();
        int n = seq.length;
        int[] cs = new int[n];
        int[] ce = new int[n];
        int firstCtx = -1;
        int lastCtx = -1;
        for (int i = 0; i < n; i++) {
            boolean ctx = seq[i] == 1 && spans[i] != null;
            cs[i] = ctx ? utf16[spans[i].getStart()] : -1;
            ce[i] = ctx ? utf16[spans[i].getEnd()] : -1;
            if (ctx) {
                firstCtx = firstCtx < 0 ? i : firstCtx;
                lastCtx = i;
            }
        }
        int start = 0;
        int end = 0;
        if (!q.answers().isEmpty() && firstCtx >= 0) {
            SquadData.Answer a = q.answers().get(0);
            int aStart = a.start();
            int aEnd = a.start() + a.text().length();
            if (cs[firstCtx] <= aStart && ce[lastCtx] >= aEnd) {
                start = firstCtx;
                while (start <= lastCtx && cs[start] <= aStart) {
                    start++;
                }
                start--;
                end = lastCtx;
                while (end >= firstCtx && ce[end] >= aEnd) {
                    end--;
                }
                end++;
            }
        }
        return new Window(qi, e, cs, ce, start, end);
    }

    /**
     * Maps code-point offsets (what the tokenizer reports) to UTF-16 indices (what Java strings use); they
     * differ after characters outside the Basic Multilingual Plane, such as emoji.
     */
    static int[] utf16Index(String s) {
        int cps = s.codePointCount(0, s.length());
        int[] map = new int[cps + 1];
        int u = 0;
        for (int c = 0; c < cps; c++) {
            map[c] = u;
            u += Character.charCount(s.codePointAt(u));
        }
        map[cps] = u;
        return map;
    }

    /** The windows as trainer features: targets are {start, end}. */
    public static Features features(List<Window> windows) {
        List<Encoding> enc = new ArrayList<>(windows.size());
        List<float[]> targets = new ArrayList<>(windows.size());
        for (Window w : windows) {
            enc.add(w.encoding());
            targets.add(new float[] {w.startTarget(), w.endTarget()});
        }
        return new Features(enc, targets);
    }
}
