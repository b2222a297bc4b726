/** wgsr's version (package.json's; a test keeps them equal): tuned kernel choices are kept per version. */
export const WGSR_VERSION = '0.1.0';
