/**
 * {@code bert-ft bench}: GEMM, training-step and inference speed on this machine, and one real training epoch.
 */
package bertft.bench;
