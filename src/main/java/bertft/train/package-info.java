/**
 * Training: the loop and the policies it calls (learning-rate schedule, layer-wise rates, gradual unfreezing, AdamW,
 * gradient clipping, weight averaging, domain-adversarial training) and the run log it writes.
 */
package bertft.train;
