/**
 * Task descriptors: a {@code tasks/*.yaml} file plus command-line overrides, checked and resolved into one
 * immutable {@link bertft.task.TaskSpec}.
 *
 * <p>Every setting has one kebab-case name, used as the YAML key, the CLI long option ({@code --learning-rate})
 * and the registry name ({@link bertft.task.TaskSpec#keys()}); its default is written once, in that registry.
 * Precedence, highest first: command line, task file, strategy preset, default. Each resolved value remembers
 * where it came from ({@link bertft.task.TaskSpec#provenance()}).
 */
package bertft.task;
