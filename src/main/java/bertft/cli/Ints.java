package bertft.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Integer options checked when they are parsed, so a bad value stops the command before any work:
 * {@code @Option(names = "--batch-size", converter = Ints.Positive.class)}.
 */
final class Ints {
    private Ints() {}

    /** At least 1: batch sizes, counts, repeats. */
    static final class Positive extends AtLeast {
        Positive() {
            super(1);
        }
    }

    /** 1 to {@link bertft.model.Torch#MAX_THREADS}: more threads than that only exhaust the process limit. */
    static final class Threads implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String text) {
            int v = parse(text, 1);
            if (v > bertft.model.Torch.MAX_THREADS) {
                throw new TypeConversionException("must be at most " + bertft.model.Torch.MAX_THREADS);
            }
            return v;
        }
    }

    /** 0 or more: overlaps, such as a stride of shared pieces. */
    static final class NonNegative extends AtLeast {
        NonNegative() {
            super(0);
        }
    }

    /** At least 2: token lengths, which hold [CLS] and [SEP]. */
    static final class Length extends AtLeast {
        Length() {
            super(2);
        }
    }

    /** An ONNX opset bert-ft writes. */
    static final class Opset implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String text) {
            int v = parse(text, bertft.onnx.OnnxExport.MIN_OPSET);
            if (v > bertft.onnx.OnnxExport.MAX_OPSET) {
                throw new TypeConversionException("bert-ft writes opset " + bertft.onnx.OnnxExport.MIN_OPSET + " to "
                        + bertft.onnx.OnnxExport.MAX_OPSET);
            }
            return v;
        }
    }

    /** One value of {@code --seeds} (picocli splits the list at commas first): any whole number. */
    static final class Seed implements ITypeConverter<Long> {
        @Override
        public Long convert(String text) {
            try {
                return Long.parseLong(text.strip());
            } catch (NumberFormatException e) {
                throw new TypeConversionException("not a whole number; expected comma-separated integers such as"
                        + " 1,2,3");
            }
        }
    }

    /** An integer not below {@code min}; the message is what {@link BertFt} prints after the option and value. */
    abstract static class AtLeast implements ITypeConverter<Integer> {
        private final int min;

        AtLeast(int min) {
            this.min = min;
        }

        @Override
        public Integer convert(String text) {
            return parse(text, min);
        }
    }

    /** {@code text} as an int of at least {@code min}, or a TypeConversionException saying what is wrong. */
    static int parse(String text, int min) {
        int v;
        try {
            v = Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("expected a whole number" + (text.strip().matches("[+-]?\\d+")
                    ? " up to " + Integer.MAX_VALUE : ""));
        }
        if (v < min) {
            throw new TypeConversionException("must be at least " + min);
        }
        return v;
    }
}
