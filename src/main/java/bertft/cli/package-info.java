/**
 * The {@code bert-ft} command line: one picocli command per subcommand; commands return exit codes and only
 * {@link bertft.cli.BertFt#main} calls {@code System.exit}.
 */
package bertft.cli;
