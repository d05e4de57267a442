/**
 * {@code bert-ft serve}: a model over HTTP JSON ({@link bertft.serve.Server}) with the routes of HuggingFace's
 * text-embeddings-inference, dynamic batching of concurrent requests ({@code DynamicBatcher}) and Prometheus
 * metrics, on the library API ({@link bertft.api}) and Eclipse Jetty's HTTP/1.1 ({@code Jetty}).
 */
package bertft.serve;
