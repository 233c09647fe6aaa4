/** `import(specifier)` by Node's ESM loader itself. */
export declare function nativeImport(specifier: string): Promise<Record<string, unknown>>;
