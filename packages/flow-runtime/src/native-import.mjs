// Plain JavaScript on purpose: a dynamic import() written here is always Node's own ESM loader,
// even when the TypeScript sources run under a test runner that rewrites import() in code it
// transforms (see vitest.config.ts). The bundle inlines it like any other module.
export function nativeImport(specifier) {
  return import(specifier);
}
