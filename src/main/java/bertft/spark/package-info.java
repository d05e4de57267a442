/**
 * Batch inference on Apache Spark: {@link bertft.spark.BertFt} adds a model's predictions or embeddings to a
 * DataFrame, {@link bertft.spark.ClassifyJob} and {@link bertft.spark.EmbedJob} run it from {@code spark-submit}.
 * Spark is a provided dependency: these classes run inside a Spark application's JVMs and never in the CLI.
 */
package bertft.spark;
