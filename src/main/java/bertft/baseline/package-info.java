/**
 * A bag-of-words baseline for table tasks: TF-IDF over lower-cased word unigrams and bigrams and a linear model
 * (softmax, sigmoid or least squares) trained by seeded SGD in plain Java. Reports put its score beside the
 * fine-tuned model's, so a run shows whether transfer from the pretrained encoder helped at all.
 */
package bertft.baseline;
