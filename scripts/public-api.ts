/**
 * What a workspace package exports, entry by entry, for the public-api tests
 * beside each product package's code (`packages/<pkg>/src/public-api.test.ts`).
 * They compare it with a list written in the test, so that changing what a
 * package exports is a visible decision in review, not a side effect.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

/** One entry's exports: names that exist at runtime, and names that are only types. */
export interface EntryExports {
  readonly values: readonly string[];
  readonly types: readonly string[];
}

/** The workspace condition under which each entry of `exports` points at its TypeScript source. */
const SOURCE_CONDITION = '@breakwater/source';

/**
 * Every entry of the package's `exports` (`.`, `./protocol`, …) with what it
 * exports: values from importing the entry (`Object.keys`), types from the
 * TypeScript checker (which sees `export type` too), checked against each other.
 */
export async function publicApi(packageDir: URL): Promise<Record<string, EntryExports>> {
  const manifest = JSON.parse(readFileSync(new URL('package.json', packageDir), 'utf8')) as {
    exports?: Record<string, Record<string, string>>;
  };
  const entries = Object.entries(manifest.exports ?? {}).map(([subpath, conditions]) => {
    const source = conditions[SOURCE_CONDITION];
    if (!source) throw new Error(`exports["${subpath}"] has no "${SOURCE_CONDITION}" condition`);
    return { subpath, file: fileURLToPath(new URL(source, packageDir)) };
  });
  const checked = checkerExports(entries.map((e) => e.file));
  const out: Record<string, EntryExports> = {};
  for (const { subpath, file } of entries) {
    const values = Object.keys(await import(pathToFileURL(file).href)).sort();
    const seen = checked.get(file) ?? { values: [], types: [] };
    if (values.join() !== seen.values.join()) {
      throw new Error(`${subpath}: runtime exports [${values}] differ from the checker's values [${seen.values}]`);
    }
    out[subpath] = { values, types: seen.types };
  }
  return out;
}

/** Exports of each file as TypeScript sees them, compiled with the root tsconfig's options. */
function checkerExports(files: readonly string[]): Map<string, EntryExports> {
  const tsconfig = fileURLToPath(new URL('../tsconfig.json', import.meta.url));
  const config = ts.getParsedCommandLineOfConfigFile(
    tsconfig,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (!config) throw new Error(`cannot read ${tsconfig}`);
  const program = ts.createProgram({ rootNames: files, options: config.options });
  const checker = program.getTypeChecker();
  const out = new Map<string, EntryExports>();
  for (const file of files) {
    const source = program.getSourceFile(file);
    const module = source && checker.getSymbolAtLocation(source);
    if (!module) throw new Error(`${file}: not a module`);
    const values: string[] = [];
    const types: string[] = [];
    for (const symbol of checker.getExportsOfModule(module)) {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      const typeOnly =
        (symbol.declarations ?? []).some((d) => ts.isTypeOnlyImportOrExportDeclaration(d)) ||
        !(target.flags & ts.SymbolFlags.Value);
      (typeOnly ? types : values).push(symbol.name);
    }
    out.set(file, { values: values.sort(), types: types.sort() });
  }
  return out;
}
