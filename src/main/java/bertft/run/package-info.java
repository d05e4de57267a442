/**
 * One training or evaluation job end to end: a task and its data in, a run directory out (model, resume state,
 * metrics, reports, provenance); strategy comparison and ONNX export of a trained model.
 */
package bertft.run;
