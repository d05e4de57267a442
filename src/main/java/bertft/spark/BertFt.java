package bertft.spark;

import bertft.UserError;
import bertft.api.Classifier;
import bertft.api.Embedder;
import bertft.api.Prediction;
import bertft.api.Tagger;
import bertft.data.AddedColumns;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;

/**
 * A bert-ft model over a Spark DataFrame: every input column, then the model's columns and {@code error}.
 *
 * <pre>{@code
 * Dataset<Row> out = BertFt.classify(spark.read().parquet("reviews"), "/models/sst2",
 *         ClassifyOptions.defaults().withTextColumn("review"));
 * }</pre>
 *
 * <p>The model is loaded on the driver first, so one that cannot load fails here with its one-line message, and
 * then once in each executor JVM (see {@link LoadedModels}). Each partition is read in chunks of {@link #CHUNK}
 * rows, which the model length-sorts into batches; rows come out in the partition's order. A row whose text is
 * null or blank gets its reason in {@code error} and nulls in the model's columns; other rows have a null error.
 * When the input already has a column of these names, the new ones get a suffix (_2, ...), as in
 * {@code bert-ft classify}.
 */
public final class BertFt {
    /** Rows read, predicted together and handed on: the CLI's chunk, so memory is bounded whatever the partition. */
    static final int CHUNK = 1024;

    private BertFt() {}

    /**
     * {@code df} with {@code predicted} (the label; for multi-label the labels joined by |; for regression the
     * value), {@code score} (its probability, or the value) and {@code p_<label>} per label, and {@code error}.
     */
    public static Dataset<Row> classify(Dataset<Row> df, String model, ClassifyOptions options) {
        return classify(df, model, options, null);
    }

    /** {@code df} with {@code embedding} (an array of floats, the model's hidden size) and {@code error}. */
    public static Dataset<Row> embed(Dataset<Row> df, String model, EmbedOptions options) {
        return embed(df, model, options, null);
    }

    /**
     * {@code df} with {@code entities} (each row's entities as the JSON list {@code bert-ft tag --json} prints:
     * entity_group, score, word, start and end in code points) and {@code error}.
     */
    public static Dataset<Row> tag(Dataset<Row> df, String model, TagOptions options) {
        return tag(df, model, options, null);
    }

    /** Rows seen and rows with an error, counted as the partitions run (a retried task counts twice). */
    record Counts(LongAccumulator rows, LongAccumulator errors) implements Serializable {
        static Counts register(SparkSession spark) {
            return new Counts(spark.sparkContext().longAccumulator("bert-ft rows"),
                    spark.sparkContext().longAccumulator("bert-ft errors"));
        }
    }

    static Dataset<Row> classify(Dataset<Row> df, String model, ClassifyOptions o, Counts counts) {
        int text = textColumn(df.schema(), o.textColumn());
        int pair = o.textPairColumn() == null ? -1 : textColumn(df.schema(), o.textPairColumn());
        int threads = taskCpus(df.sparkSession());
        Classifier c = LoadedModels.classifier(model, o.modelOptions(), threads);
        boolean regression = c.labels().isEmpty();
        List<String> names = new ArrayList<>(AddedColumns.predictions(c.labels()));
        names.add("error");
        AddedColumns columns = AddedColumns.of(Arrays.asList(df.schema().fieldNames()), names);
        StructType schema = df.schema();
        for (int i = 0; i < names.size(); i++) {
            DataType type = i == 0 && !regression || i == names.size() - 1 ? DataTypes.StringType
                    : DataTypes.DoubleType;
            schema = schema.add(columns.added().get(i), type, true);
        }
        ClassifyPartition f = new ClassifyPartition(model, o, threads, text, pair, names.size(), counts);
        return df.mapPartitions(f, Encoders.row(schema));
    }

    static Dataset<Row> embed(Dataset<Row> df, String model, EmbedOptions o, Counts counts) {
        int text = textColumn(df.schema(), o.textColumn());
        int threads = taskCpus(df.sparkSession());
        LoadedModels.embedder(model, o.modelOptions(), threads);
        AddedColumns columns = AddedColumns.of(Arrays.asList(df.schema().fieldNames()), List.of("embedding", "error"));
        StructType schema = df.schema()
                .add(columns.added().get(0), DataTypes.createArrayType(DataTypes.FloatType, false), true)
                .add(columns.added().get(1), DataTypes.StringType, true);
        return df.mapPartitions(new EmbedPartition(model, o, threads, text, counts), Encoders.row(schema));
    }

    static Dataset<Row> tag(Dataset<Row> df, String model, TagOptions o, Counts counts) {
        int text = textColumn(df.schema(), o.textColumn());
        int threads = taskCpus(df.sparkSession());
        Tagger t = LoadedModels.tagger(model, o.modelOptions(), threads);
        if (o.stride() != null && o.stride() >= t.windowPieces()) {
            throw new UserError("--stride " + o.stride() + ": must be less than the " + t.windowPieces() + " word"
                    + " pieces a window of this model holds (max length " + t.info().maxLength() + ")");
        }
        AddedColumns columns = AddedColumns.of(Arrays.asList(df.schema().fieldNames()), List.of("entities", "error"));
        StructType schema = df.schema().add(columns.added().get(0), DataTypes.StringType, true)
                .add(columns.added().get(1), DataTypes.StringType, true);
        return df.mapPartitions(new TagPartition(model, o, threads, text, counts), Encoders.row(schema));
    }

    /** The index of a text column; a missing or non-string column is a one-line error naming the columns. */
    static int textColumn(StructType schema, String name) {
        List<String> names = Arrays.asList(schema.fieldNames());
        if (!names.contains(name)) {
            throw new UserError("text column '" + name + "': not among the columns " + String.join(", ", names));
        }
        StructField f = schema.apply(name);
        if (!f.dataType().equals(DataTypes.StringType)) {
            throw new UserError("text column '" + name + "': is " + f.dataType().simpleString()
                    + ", not string; cast it first");
        }
        return names.indexOf(name);
    }

    /** Intra-op threads per task: the cores Spark gives each task, so concurrent tasks do not oversubscribe. */
    private static int taskCpus(SparkSession spark) {
        return spark.sparkContext().getConf().getInt("spark.task.cpus", 1);
    }

    /** Why a row's text cannot be run, or null. */
    private static String problem(Row row, int i, String column, boolean pair) {
        if (row.isNullAt(i)) {
            return "no '" + column + "' value (null)";
        }
        if (row.getString(i).isBlank()) {
            return pair ? "empty text pair ('" + column + "')" : "empty text";
        }
        return null;
    }

    /** The row's values followed by {@code added}. */
    private static Row extend(Row row, Object... added) {
        Object[] v = new Object[row.length() + added.length];
        for (int i = 0; i < row.length(); i++) {
            v[i] = row.get(i);
        }
        System.arraycopy(added, 0, v, row.length(), added.length);
        return RowFactory.create(v);
    }

    /** Classifies a partition chunk by chunk, in order. */
    private record ClassifyPartition(String model, ClassifyOptions o, int threads, int text, int pair, int added,
            Counts counts) implements MapPartitionsFunction<Row, Row> {
        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            Classifier c = LoadedModels.classifier(model, o.modelOptions(), threads);
            return chunked(rows, this::classify, c);
        }

        private List<Row> classify(List<Row> rows, Classifier c) {
            String[] errors = new String[rows.size()];
            List<String> texts = new ArrayList<>();
            List<String> pairs = pair < 0 ? null : new ArrayList<>();
            for (int i = 0; i < rows.size(); i++) {
                Row r = rows.get(i);
                errors[i] = problem(r, text, o.textColumn(), false);
                if (errors[i] == null && pair >= 0) {
                    errors[i] = problem(r, pair, o.textPairColumn(), true);
                }
                if (errors[i] == null) {
                    texts.add(r.getString(text));
                    if (pairs != null) {
                        pairs.add(r.getString(pair));
                    }
                }
            }
            Iterator<Prediction> p = (texts.isEmpty() ? List.<Prediction>of() : c.predictPairs(texts, pairs)).iterator();
            List<Row> out = new ArrayList<>(rows.size());
            for (int i = 0; i < rows.size(); i++) {
                Object[] v = new Object[added];
                v[added - 1] = errors[i];
                if (errors[i] == null) {
                    Prediction q = p.next();
                    v[0] = q.label() != null ? q.label() : (Object) q.score();
                    v[1] = q.score();
                    int k = 2;
                    for (double prob : q.probabilities().values()) {
                        v[k++] = prob;
                    }
                }
                out.add(extend(rows.get(i), v));
            }
            count(counts, rows.size(), errors);
            return out;
        }
    }

    /** Embeds a partition chunk by chunk, in order. */
    private record EmbedPartition(String model, EmbedOptions o, int threads, int text, Counts counts)
            implements MapPartitionsFunction<Row, Row> {
        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            Embedder e = LoadedModels.embedder(model, o.modelOptions(), threads);
            return chunked(rows, this::embed, e);
        }

        private List<Row> embed(List<Row> rows, Embedder e) {
            return perText(rows, text, o.textColumn(), counts, texts -> e.embed(texts, o.normalize()), v -> v);
        }
    }

    /** Tags a partition chunk by chunk, in order. */
    private record TagPartition(String model, TagOptions o, int threads, int text, Counts counts)
            implements MapPartitionsFunction<Row, Row> {
        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            Tagger t = LoadedModels.tagger(model, o.modelOptions(), threads);
            return chunked(rows, this::tag, t);
        }

        private List<Row> tag(List<Row> rows, Tagger t) {
            int stride = o.stride() == null ? t.stride() : o.stride();
            return perText(rows, text, o.textColumn(), counts, texts -> t.tag(texts, o.aggregation(), stride),
                    entities -> Tagger.json(entities, o.aggregation()).toString());
        }
    }

    /**
     * A chunk's rows extended by one value each: the rows with a usable text (column {@code text}, named {@code
     * column}) go to {@code model} in one call, each answer becomes the row's value, and a row without one keeps
     * its reason in {@code error} and a null value.
     */
    private static <T> List<Row> perText(List<Row> rows, int text, String column, Counts counts,
            java.util.function.Function<List<String>, List<T>> model, java.util.function.Function<T, Object> value) {
        String[] errors = new String[rows.size()];
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            errors[i] = problem(rows.get(i), text, column, false);
            if (errors[i] == null) {
                texts.add(rows.get(i).getString(text));
            }
        }
        Iterator<T> answers = (texts.isEmpty() ? List.<T>of() : model.apply(texts)).iterator();
        List<Row> out = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            out.add(extend(rows.get(i), errors[i] == null ? value.apply(answers.next()) : null, errors[i]));
        }
        count(counts, rows.size(), errors);
        return out;
    }

    private static void count(Counts counts, int rows, String[] errors) {
        if (counts != null) {
            counts.rows().add(rows);
            counts.errors().add(Arrays.stream(errors).filter(java.util.Objects::nonNull).count());
        }
    }

    /** A chunk's rows in, the same rows extended out. */
    private interface ChunkFunction<M> {
        List<Row> apply(List<Row> chunk, M model);
    }

    /** Maps {@code in} lazily, {@link #CHUNK} rows at a time, keeping their order. */
    private static <M> Iterator<Row> chunked(Iterator<Row> in, ChunkFunction<M> f, M model) {
        return new Iterator<>() {
            private Iterator<Row> current = Collections.emptyIterator();

            @Override
            public boolean hasNext() {
                while (!current.hasNext() && in.hasNext()) {
                    List<Row> chunk = new ArrayList<>(CHUNK);
                    while (chunk.size() < CHUNK && in.hasNext()) {
                        chunk.add(in.next());
                    }
                    current = f.apply(chunk, model).iterator();
                }
                return current.hasNext();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return current.next();
            }
        };
    }
}
