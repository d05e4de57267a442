/**
 * Extractive question answering: contexts cut into overlapping windows, start/end logits, and answers cut from the
 * context through offsets as HuggingFace's {@code utils_qa.py} does.
 */
package bertft.qa;
