/**
 * The encoders as HuggingFace builds them, one class per family ({@link bertft.model.Bert},
 * {@link bertft.model.DistilBert}, {@link bertft.model.DebertaV2}; {@link bertft.model.Family} says how each
 * {@code model_type} names its weights and which encoder and heads it uses), weights keyed by checkpoint names, and
 * the task heads over them ({@link bertft.model.TaskModel}). The ops are libtorch calls through DJL
 * ({@link bertft.model.Ops}); {@link bertft.model.Torch} owns threads and seeds. A model directory is read as a
 * {@link bertft.model.Checkpoint} (config plus encoder and head weights), and what task it does is
 * {@link bertft.model.CheckpointTask}'s one answer; {@link bertft.model.ModelStore} resolves
 * a model's name (bundled alias, directory or Hub id) to one.
 */
package bertft.model;
