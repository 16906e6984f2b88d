// A bundled dependency in today's style: an ES module with helpers inlined by a bundler.
export const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
export function sleep(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }
