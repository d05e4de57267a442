/**
 * Tokenizers exactly as HuggingFace's: WordPiece, byte-level BPE and SentencePiece (Unigram), with offsets in the
 * input text, and the padded batches they make.
 */
package bertft.text;
