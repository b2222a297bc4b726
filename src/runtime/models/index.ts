// Models by name: the catalogue, the cache, downloads and their verification (Node only; the
// core never touches the network, a browser passes the bytes it fetched).
export { BUILTIN_CATALOG, normalModelName, fileNameOf, type CatalogEntry, type CatalogArch } from './catalog.js';
export { modelCatalog, catalogSourcesFromEnv, readUserCatalog, type CatalogSources } from './user-catalog.js';
export { wgsrCacheDir } from '../cache-dir.js';
export { findModel } from './find-model.js';
export { loadModelByName, cachedModelPath, type LoadByNameOptions, type ModelByName } from './by-name.js';
export { verifyModel } from './verify.js';
export type { FetchLike } from './download.js';
