import { readRegularFileSync } from './read-file.js';

/**
 * The bytes of a model file, or one clear IO error naming it (every command that reads a model
 * uses this). Only a regular file is read, and only as many bytes as it has (see read-file.ts).
 */
export function readModelFile(file: string): Uint8Array {
  return readRegularFileSync(file, `the model ${file}`);
}
