import { WgsrError } from '../../errors.js';
import { editDistance } from '../../edit-distance.js';
import { normalModelName, type CatalogEntry } from './catalog.js';
import { namesOf } from './user-catalog.js';

/**
 * The catalogue entry a typed name means: its own name or an alias, in any case, `_` or `-`
 * (RealESRGAN_x4plus, realesrgan-x4plus). An unknown name is refused with the closest names.
 */
export function findModel(name: string, catalog: readonly CatalogEntry[]): CatalogEntry {
  const typed = normalModelName(name);
  const found = catalog.find((e) => namesOf(e).includes(typed));
  if (found) return found;
  const close = closeNames(typed, catalog);
  const hint = close.length ? `; did you mean ${close.join(' or ')}?` : `; known: ${catalog.map((e) => e.name).join(', ')}`;
  throw new WgsrError('BAD_ARGUMENT', `unknown model name "${name}"${hint} (wgsr models lists them; -m takes a model file)`);
}

/**
 * Up to three names within a few edits of the typed one (a quarter of its length, at least 2),
 * or that contain it or are contained in it ("x4plus" → RealESRGAN_x4plus, RealESRNet_x4plus).
 */
function closeNames(typed: string, catalog: readonly CatalogEntry[]): string[] {
  const limit = Math.max(2, Math.floor(typed.length / 4));
  const scored = catalog.map((e) => {
    const d = Math.min(...namesOf(e).map((n) => (n.includes(typed) || typed.includes(n) ? 0.5 : editDistance(typed, n))));
    return { name: e.name, d };
  });
  return scored
    .filter((s) => s.d <= limit && typed.length >= 3)
    .sort((a, b) => a.d - b.d)
    .slice(0, 3)
    .map((s) => s.name);
}
