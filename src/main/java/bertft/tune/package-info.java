/**
 * {@code bert-ft tune}: a budgeted search over strategies and hyper-parameters. {@link bertft.tune.Space} parses
 * and samples the space, {@link bertft.tune.Search} runs asynchronous successive halving over trials within a
 * {@link bertft.tune.Budget}, and {@link bertft.tune.Tune} trains the trials (resumable, rung by rung), retrains
 * the winner over several seeds with {@code compare}'s machinery and writes the reports and {@code best.yaml}.
 */
package bertft.tune;
