/**
 * Models from the HuggingFace Hub by id ({@code org/name@revision}), stored in HuggingFace's own cache layout
 * ({@code models--org--name/{blobs,snapshots,refs}}) so that Python and bert-ft share one cache.
 *
 * <p>{@link bertft.hub.HubId} parses ids, {@link bertft.hub.HubSettings} reads the {@code HF_*} environment,
 * {@link bertft.hub.HubCache} is the cache layout, {@link bertft.hub.HubClient} talks to the Hub's
 * {@code /resolve/} endpoints, {@link bertft.hub.BlobDownload} fetches one file (lock, resume, checksum, atomic
 * move) and {@link bertft.hub.HubModels} decides which files a BERT checkpoint needs.
 */
package bertft.hub;
