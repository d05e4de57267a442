/**
 * Domain adaptation: continued masked-LM pretraining on unlabelled in-domain text ({@code bert-ft adapt}), as
 * HuggingFace's {@code run_mlm.py} and {@code DataCollatorForLanguageModeling} do it.
 */
package bertft.adapt;
