/**
 * Evaluation metrics as pure functions of gold and predicted answers, in double precision: classification,
 * multi-label, regression and SQuAD. Zero divisions give 0, as scikit-learn's {@code zero_division=0}; each
 * result lists its scalars by the names early stopping uses and serialises to JSON for the run directory.
 */
package bertft.eval;
